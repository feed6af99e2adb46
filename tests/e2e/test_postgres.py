"""The bot on PostgreSQL, as an operator past one process runs it: the same conversations as
on SQLite, end to end through the emulator."""

from __future__ import annotations

from tests.e2e.flows_helpers import has_data, onboard, open_request, person_said
from tests.e2e.harness import HarnessFactory


async def test_a_request_and_replies_both_ways_on_postgres(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(postgres=True)
    assert h.services.store.backend == "postgres"
    person = h.person("Pg", "ru")
    await onboard(person, "Русский")
    await person.send("паспорт потерял")
    await person.wait_for(has_data("f:"))
    case_id = await open_request(person, "Потерял паспорт <b>&</b>", photo=True)
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    assert any(person_said(m) == "Потерял паспорт <b>&</b>" for m in h.staff.messages(thread))
    aysel = h.caseworkers[0]
    card = next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(h.staff, "Claim", card)
    await aysel.send_in(h.staff, "Здравствуйте, помогу", thread_id=thread)
    await person.wait_for("помогу")
    await person.send("Спасибо!")
    await h.staff.wait_for(lambda m: person_said(m) == "Спасибо!", thread_id=thread)
    row = await h.services.cases.get(case_id)
    assert (
        row is not None and row.record.assignee_id == aysel.user_id and row.status == "in_progress"
    )


async def test_delete_and_mydata_on_postgres(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(postgres=True)
    person = h.person("PgPrivacy", "en")
    await onboard(person)
    case_id = await open_request(person, "Secret-PG-42")
    await h.settle()
    await person.send("/mydata")
    await person.wait_for(lambda m: m.media_kind == "document")
    await person.send("/delete")
    confirm = await person.wait_for(has_data("p:del:ok"))
    await person.press_data("p:del:ok", confirm.message_id)
    await person.wait_for("has been deleted")
    await h.settle()
    row = await h.services.cases.get(case_id)
    assert row is not None and row.status == "deleted" and row.user_id is None
    for table in ("people", "cases", "case_messages", "outbox", "inbox"):
        for r in await h.services.store.executor.fetchall(f"SELECT * FROM {table}"):
            values = [r[k] for k in r.keys()]
            assert person.user_id not in values and not any(
                "Secret-PG-42" in str(v) for v in values
            )
