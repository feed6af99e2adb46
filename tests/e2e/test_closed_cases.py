"""After a request is closed, a new message is a new question with a clear choice: reopen the
request or start a new one. Nothing goes silently into a closed case."""

from __future__ import annotations

from bot.sandbox import BotMessage
from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness


async def _topic(harness: Harness, case_id: int) -> int:
    await harness.settle()
    return next(t.thread_id for t in harness.staff.topics() if t.name.startswith(f"#{case_id} "))


def _card(harness: Harness, thread: int) -> BotMessage:
    return [m for m in harness.staff.messages(thread) if m.text.startswith("🗂")][-1]


async def _close_by_caseworker(harness: Harness, thread: int) -> None:
    aysel = harness.caseworkers[0]
    await aysel.press_in(harness.staff, "Status", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "Closed", _card(harness, thread))
    await harness.settle()


async def test_a_question_after_closing_is_answered_not_relayed_and_can_reopen(
    harness: Harness,
) -> None:
    person = harness.person("Farid", "ru")
    await onboard(person, "Русский")
    case_id = await open_request(person, "помогите с документами")
    thread = await _topic(harness, case_id)
    await _close_by_caseworker(harness, thread)
    await person.wait_for(has_data(f"r:rate:{case_id}:"))

    await person.send("как продлить вид на жительство")
    reply = await person.wait_for(has_data(f"r:reopen:{case_id}"))
    assert f"#{case_id}" in reply.text and "закрыт" in reply.text.lower()
    offered = [b.callback_data for row in reply.buttons for b in row]
    assert "r:new" in offered and "f:doc.trp" in offered  # the question is answered too
    await harness.settle()
    assert not any("продлить" in m.text for m in harness.staff.messages(thread))
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.status == "closed"

    await person.press_data(f"r:reopen:{case_id}", reply.message_id)
    await person.wait_for(has_data("r:list"))
    await harness.staff.wait_for("reopened this request", thread_id=thread)
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.status in ("new", "in_progress")
    await person.send("вот мой новый вопрос")
    await harness.staff.wait_for("вот мой новый вопрос", thread_id=thread)


async def test_persian_speaker_after_closing_gets_a_greeting_and_can_start_a_new_request(
    harness: Harness,
) -> None:
    person = harness.person("Zahra", "fa")
    await onboard(person, "فارسی")
    case_id = await open_request(person, "کمک درباره مدارک")
    thread = await _topic(harness, case_id)
    await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    await person.wait_for(has_data(f"r:rate:{case_id}:"))

    await person.send("سلام")
    reply = await person.wait_for(has_data("r:new"))
    assert has_data("e:")(reply)  # the greeting's main menu
    assert has_data(f"r:reopen:{case_id}")(reply)
    assert "\u2068#" in reply.text  # the request number is isolated in right-to-left text
    await person.send_photo(caption="عکس")
    media = await person.wait_for(has_data(f"r:reopen:{case_id}"))
    assert "r:new" in [b.callback_data for row in media.buttons for b in row]
    await harness.settle()
    assert not any(m.media_kind == "photo" for m in harness.staff.messages(thread))

    await person.press_data("r:new", media.message_id)
    await person.wait_for(has_data("i:cat:"))


async def test_a_stale_reopen_button_is_refused_after_the_window(harness: Harness) -> None:
    person = harness.person("Late", "en")
    await onboard(person)
    case_id = await open_request(person, "old matter")
    await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    await person.wait_for(has_data(f"r:rate:{case_id}:"))
    await person.send("hello")
    reply = await person.wait_for(has_data(f"r:reopen:{case_id}"))
    harness.clock.advance(hours=24 * 15)
    await person.press_data(f"r:reopen:{case_id}", reply.message_id)
    await harness.settle()
    assert any("cannot be reopened" in (a.get("text") or "") for a in person.callback_answers)
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.status == "closed"
    await person.send("hello")  # two weeks on, just a greeting: no notice any more
    later = await person.wait_for(has_data("e:"))
    assert not has_data("r:reopen:")(later)


async def test_an_emergency_written_into_an_open_case_also_gets_the_numbers(
    harness: Harness,
) -> None:
    person = harness.person("Open", "en")
    await onboard(person)
    case_id = await open_request(person, "first")
    thread = await _topic(harness, case_id)
    await person.send("my husband beats me, please hurry")
    await harness.staff.wait_for("my husband beats me", thread_id=thread)
    await person.wait_for("112")
