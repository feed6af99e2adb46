"""The caseworker's loose ends: ratings in the topic, a readable audit, the card's buttons,
plurals, the queue's wording, /mine, /reply previews and the services menu."""

from __future__ import annotations

from bot.sandbox import BotMessage
from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness, HarnessFactory


async def _topic(harness: Harness, case_id: int) -> int:
    await harness.settle()
    return next(t.thread_id for t in harness.staff.topics() if t.name.startswith(f"#{case_id} "))


def _card(harness: Harness, thread: int) -> BotMessage:
    return [m for m in harness.staff.messages(thread) if m.text.startswith("🗂")][-1]


async def test_rating_and_comment_reach_the_case_topic(harness: Harness) -> None:
    person = harness.person("Rated", "ru")
    await onboard(person, "Русский")
    case_id = await open_request(person, "спасибо заранее")
    thread = await _topic(harness, case_id)
    await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    rating = await person.wait_for(has_data(f"r:rate:{case_id}:"))
    await person.press_data(f"r:rate:{case_id}:4", rating.message_id)
    await harness.staff.wait_for("⭐⭐⭐⭐ (4", thread_id=thread)
    await person.wait_for(has_data("m:"))
    await person.send("Всё решили быстро, спасибо!")
    comment = await harness.staff.wait_for("Всё решили быстро, спасибо!", thread_id=thread)
    assert "comment" in comment.text


async def test_audit_claim_button_plurals_and_services_menu(harness: Harness) -> None:
    person = harness.person("Jala", "en")
    await onboard(person)
    case_id = await open_request(person, "need documents")  # 2 adults, 1 child
    thread = await _topic(harness, case_id)
    aysel, murad = harness.caseworkers
    card = _card(harness, thread)
    assert "2 adults, 1 child" in card.text and "1 children" not in card.text
    assert card.buttons[0][0].text.endswith("Claim")

    await murad.send_in(harness.staff, "/mine")  # Murad has nothing yet: told where cases are
    mine = await harness.staff.wait_for("assigned to you")
    assert "1 open case is not assigned to anyone yet" in mine.text and "/queue" in mine.text

    await aysel.press_in(harness.staff, "Claim", card)
    await harness.settle()
    card = _card(harness, thread)
    assert "Unclaim (Aysel)" in card.buttons[0][0].text  # the button changed after claiming
    await aysel.press_in(harness.staff, "Assign to", card)
    await harness.settle()
    await aysel.press_in(harness.staff, "Murad", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "Priority", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "High", _card(harness, thread))
    await harness.settle()

    await aysel.press_in(harness.staff, "Services delivered", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "Documents", _card(harness, thread))
    await harness.settle()
    card = _card(harness, thread)
    labels = card.button_labels()
    assert "☑️ Documents" in labels and "⬜ Medical" in labels  # still the services menu, marked
    await aysel.press_in(harness.staff, "Medical", card)
    await harness.settle()
    assert "☑️ Medical" in _card(harness, thread).button_labels()

    await harness.admin.send_in(harness.staff, f"/audit {case_id}")
    audit = await harness.staff.wait_for("Audit log")
    assert "Aysel · claimed the case" in audit.text
    assert "assigned the case to Murad" in audit.text
    assert "set the priority to “High”" in audit.text
    assert "ticked or unticked the service “Documents”" in audit.text
    assert "as:" not in audit.text and "pr:0" not in audit.text and "sv:" not in audit.text


async def test_queue_wording_in_russian_with_babel_plurals(harness_factory: HarnessFactory) -> None:
    harness = await harness_factory(staff_language="ru")
    person = harness.person("Nino", "en")
    await onboard(person)
    case_id = await open_request(person, "urgent")
    thread = await _topic(harness, case_id)
    card = _card(harness, thread)
    assert "2 взрослых, 1 ребёнок" in card.text  # not "1 детей"
    aysel = harness.caseworkers[0]
    await aysel.send_in(harness.staff, "/queue")
    queue = await harness.staff.wait_for(f"#{case_id}")
    assert "0 час" not in queue.text and "только что" in queue.text
    harness.clock.advance(hours=5)
    await aysel.send_in(harness.staff, "/queue")
    queue = await harness.staff.wait_for(f"#{case_id}")
    assert "5 часов" in queue.text


async def test_reply_shows_a_preview_and_sends_once(harness: Harness) -> None:
    person = harness.person("Oleg", "ru")
    await onboard(person, "Русский")
    case_id = await open_request(person, "нужен номер колл-центра")
    thread = await _topic(harness, case_id)
    aysel = harness.caseworkers[0]
    await aysel.send_in(harness.staff, "/reply call_centre", thread_id=thread)
    preview = await harness.staff.wait_for("Preview", thread_id=thread)
    assert "Русский" in preview.text and "919" in preview.text
    await harness.settle()
    assert not any("919" in m.text for m in person.messages())  # nothing sent yet
    await aysel.press_in(harness.staff, "Send to the person", preview)
    await aysel.press_in(harness.staff, "Send to the person", preview)  # a double tap
    await person.wait_for("919")
    await harness.settle()
    assert sum("919" in m.text for m in person.messages()) == 1
    assert "queued for the person" in preview.text
    await aysel.send_in(harness.staff, "/reply asan", thread_id=thread)
    other = await harness.staff.wait_for("Preview", thread_id=thread)
    await aysel.press_in(harness.staff, "Cancel", other)
    await harness.settle()
    assert not any("108" in m.text for m in person.messages())
