"""Privacy and safety: the notice, seeing and deleting one's data, retention, access, abuse."""

from __future__ import annotations

import json
import logging

import pytest

from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness, HarnessFactory

PLANTED = "Zephyrine-Quokka-7731"  # a string that appears nowhere else


async def _topic(harness: Harness, case_id: int) -> int:
    await harness.settle()
    return next(t.thread_id for t in harness.staff.topics() if t.name.startswith(f"#{case_id} "))


async def test_privacy_notice_in_the_persons_language(harness: Harness) -> None:
    person = harness.person("Mina", "en")
    await onboard(person)
    await person.send("/privacy")
    notice = await person.wait_for("What we store")
    for part in ("Why", "Who sees it", "For how long", "/mydata", "/delete"):
        assert part in notice.text


async def test_mydata_shows_everything_as_a_message_and_a_json_file(harness: Harness) -> None:
    person = harness.person("Kenan", "en")
    await onboard(person)
    case_id = await open_request(person, f"my story {PLANTED}")
    await person.send("/mydata")
    summary = await person.wait_for("What is stored about you")
    assert "1 request" in summary.text
    document = await person.wait_for(lambda m: m.media_kind == "document")
    assert document.file_id is not None
    sent = json.loads(harness.emu.files[document.file_id].data)  # the JSON file the person got
    assert sent["cases"][0]["id"] == case_id and PLANTED in sent["cases"][0]["description"]
    assert sent["profile"]["user_id"] == person.user_id


async def test_delete_erases_from_the_database_files_and_tells_the_staff(harness: Harness) -> None:
    person = harness.person("Zaur", "en")
    await onboard(person)
    case_id = await open_request(person, f"I live at {PLANTED} street")
    thread = await _topic(harness, case_id)
    await person.send(f"more about {PLANTED}")
    await harness.settle()
    await harness.caseworkers[0].send_in(
        harness.staff, f"reply mentioning {PLANTED}", thread_id=thread
    )
    await harness.settle()
    await person.send("/delete")
    confirm = await person.wait_for(has_data("p:del:ok"))
    await person.press_data("p:del:ok", confirm.message_id)
    done = await person.wait_for("has been deleted")
    assert "48 hours" in done.text  # what cannot be deleted from Telegram is said
    await harness.staff.wait_for("asked to delete their data", thread_id=thread)
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert (
        row is not None
        and row.status == "deleted"
        and row.user_id is None
        and row.description is None
    )
    await harness.stop()  # closes the database: everything flushed to the files
    files = [p for p in harness.db_path.parent.iterdir() if p.name.startswith(harness.db_path.name)]
    assert files
    for path in files:
        assert PLANTED.encode() not in path.read_bytes(), f"{PLANTED} still on disk in {path.name}"


async def test_retention_anonymises_old_closed_cases_and_keeps_statistics(harness: Harness) -> None:
    from bot.privacy.retention import apply_retention

    person = harness.person("Aynur", "en")
    await onboard(person)
    case_id = await open_request(person, f"old {PLANTED}")
    thread = await _topic(harness, case_id)
    aysel = harness.caseworkers[0]
    card = next(m for m in harness.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(harness.staff, "Status", card)
    await harness.settle()
    await aysel.press_in(harness.staff, "Closed", card)
    await harness.settle()
    assert await apply_retention(harness.services) == (0, 0)
    harness.clock.advance(days=181)
    anonymised, _profiles = await apply_retention(harness.services)
    assert anonymised == 1
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.description is None and row.user_id is None
    assert row.record.category == "documents" and row.status == "closed"  # statistics survive
    assert await harness.services.cases.messages(case_id) == []


async def test_every_staff_action_is_audited_and_shown_to_admins_only(harness: Harness) -> None:
    person = harness.person("Elnur", "en")
    await onboard(person)
    case_id = await open_request(person, "audit me")
    thread = await _topic(harness, case_id)
    aysel = harness.caseworkers[0]
    card = next(m for m in harness.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(harness.staff, "Claim", card)
    await aysel.send_in(harness.staff, "hello", thread_id=thread)
    await harness.settle()
    await aysel.send_in(harness.staff, f"/audit {case_id}")
    refused = await harness.staff.wait_for("Only admins")
    assert "claim" not in refused.text
    await harness.admin.send_in(harness.staff, f"/audit {case_id}")
    log = await harness.staff.wait_for("Audit log")
    assert "Aysel · claimed the case" in log.text and "replied to the person" in log.text


async def test_anonymous_admin_messages_are_relayed_and_audited_as_such(harness: Harness) -> None:
    person = harness.person("Arzu", "en")
    await onboard(person)
    case_id = await open_request(person, "please help")
    thread = await _topic(harness, case_id)
    await harness.staff.send_as_anonymous_admin("An answer from the team", thread_id=thread)
    reply = await person.wait_for("An answer from the team")
    assert "Caseworker" in reply.text
    entries = await harness.services.records.audit_for(case_id)
    assert any(e.action == "reply" and e.actor_id is None for e in entries)


async def test_request_limit_per_day_and_blocking(harness_factory: HarnessFactory) -> None:
    harness = await harness_factory(max_requests_per_day=1)
    person = harness.person("Vugar", "en")
    await onboard(person)
    case_id = await open_request(person, "first")
    # Close it so that only the daily limit stands in the way.
    await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    await person.wait_for(has_data("r:rate:"))
    await person.press_data("r:new", person.last().message_id)
    limited = await person.wait_for("several requests today")
    assert "Emergency" in limited.text
    aysel = harness.caseworkers[0]
    await aysel.send_in(harness.staff, f"/block {case_id}")
    await harness.staff.wait_for("is blocked")
    await person.send("hello?")
    refused = await person.wait_for("cannot be passed to a caseworker")
    assert "Emergency" in refused.text
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.status == "closed"  # a blocked person's message reopens nothing
    await aysel.send_in(harness.staff, f"/unblock {case_id}")
    await harness.staff.wait_for("is unblocked")


async def test_message_flood_gets_one_polite_answer(harness_factory: HarnessFactory) -> None:
    harness = await harness_factory(max_messages_per_minute=5)
    person = harness.person("Flood", "en")
    await onboard(person)
    for i in range(9):
        await person.send(f"spam {i}")
    await harness.settle()
    polite = [m for m in person.messages() if "very fast" in m.text]
    assert len(polite) == 1


async def test_logs_never_contain_what_people_wrote(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.logging_setup import cap_library_loggers

    caplog.set_level(logging.DEBUG)  # the most verbose an operator can set
    cap_library_loggers()
    phone = "+994501234567"
    person = harness.person("Logan", "en")
    await onboard(person)
    await person.send(f"search {PLANTED} please")
    await harness.settle()
    await person.press_data("r:new", person.last().message_id)
    await person.wait_for(has_data("i:cat:"))
    await person.press_data("i:cat:health", person.last().message_id)
    await person.wait_for(has_data("i:x"))
    await person.send(f"my name is {PLANTED} and it hurts <b>&amp;")
    await person.wait_for(has_data("i:done"))
    await person.press_data("i:done", person.last().message_id)
    await person.wait_for(has_data("i:phone:-"))
    await person.send_contact(phone)
    await person.wait_for(has_data("i:region:-"))
    for data in ("i:region:-", "i:adults:-", "i:children:-", "i:v:done", "i:ok"):
        await person.press_data(data, person.last().message_id)
        await harness.settle()
    await person.send(f"and one more thing, {PLANTED}")
    await harness.settle()
    # The emulator stands in for Telegram; it is not part of the bot, so its own logs don't count.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("bot.sandbox"))
    for secret in (PLANTED, phone, "Logan", harness.emu.token.split(":")[1]):
        assert secret not in text, f"{secret!r} was logged"
    assert any(r.name.startswith("bot.") for r in caplog.records)  # it logged, just not these
