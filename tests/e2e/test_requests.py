"""Support requests end to end: a person, two caseworkers in a forum staff group."""

from __future__ import annotations

from bot.casework.staff import StaffDirectory
from tests.e2e.flows_helpers import has_data, onboard, open_request, person_said
from tests.e2e.harness import Harness


async def test_intake_topic_card_claim_and_relay_both_ways(harness: Harness) -> None:
    person = harness.person("Leyla", "en")
    await onboard(person)
    case_id = await open_request(
        person, "My passport was stolen <in> Baku & I need help *now*", photo=True, voice=True
    )
    await harness.settle()
    staff = harness.staff
    topics = [t for t in staff.topics() if t.name.startswith("#")]
    assert [t.name for t in topics] == [f"#{case_id} · documents · en"]
    thread = topics[0].thread_id
    card = await staff.wait_for(
        lambda m: f"#{case_id}" in m.text and bool(m.buttons), thread_id=thread
    )
    assert "Baku" in card.text
    copies = staff.messages(thread)
    # The person's words arrive whole, under a line that marks them as the person's.
    assert any(
        person_said(m) == "My passport was stolen <in> Baku & I need help *now*" for m in copies
    )
    assert {m.media_kind for m in copies} >= {"photo", "voice"}

    aysel, murad = harness.caseworkers
    await aysel.press_in(staff, "Claim", card)
    await harness.settle()
    assert "Aysel" in staff.messages(thread)[0].text or "Aysel" in card.text

    await aysel.send_in(staff, "Hello! Bring <your> ID & a photo *please*", thread_id=thread)
    reply = await person.wait_for("Bring <your> ID & a photo *please*")
    assert "Caseworker" in reply.text and f"#{case_id}" in reply.text

    await murad.send_in(staff, "/note called the embassy, waiting", thread_id=thread)
    await harness.settle()
    assert not any("embassy" in m.text for m in person.messages())

    await person.send("Thank you, I have the photo")
    await staff.wait_for("Thank you, I have the photo", thread_id=thread)


async def _case_topic(harness: Harness, case_id: int) -> int:
    await harness.settle()
    for topic in harness.staff.topics():
        if topic.name.startswith(f"#{case_id} "):
            return topic.thread_id
    raise AssertionError(f"no topic for case {case_id}: {harness.staff.topics()}")


def _card(harness: Harness, thread: int):
    for message in harness.staff.messages(thread):
        if message.buttons and message.text.startswith("🗂"):
            return message
    raise AssertionError("no case card")


async def test_status_changes_notify_the_person_and_close_asks_for_rating(harness: Harness) -> None:
    person = harness.person("Farid", "ru")
    await onboard(person, "Русский")
    case_id = await open_request(person, "Нужна помощь с документами")
    thread = await _case_topic(harness, case_id)
    aysel = harness.caseworkers[0]
    await aysel.press_in(harness.staff, "Status", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "Waiting for the person", _card(harness, thread))
    notice = await person.wait_for(f"#{case_id}")
    assert (
        "Ожидает" in notice.text
        or "Waiting" in notice.text
        or "ждёт" in notice.text.lower()
        or "ждет" in notice.text.lower()
    )
    await harness.settle()
    await aysel.press_in(harness.staff, "Status", _card(harness, thread))
    await harness.settle()
    await aysel.press_in(harness.staff, "Closed", _card(harness, thread))
    rating = await person.wait_for(has_data(f"r:rate:{case_id}:"))
    await person.press("⭐⭐⭐⭐⭐", rating)
    await person.wait_for(has_data("m:"))
    await person.send("Спасибо, всё хорошо")
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.record.rating == 5 and row.status == "closed"
    assert row.rating_comment == "Спасибо, всё хорошо"


async def test_queue_orders_unclaimed_first_then_priority_then_age(harness: Harness) -> None:
    people = [harness.person(f"P{i}", "en") for i in range(3)]
    ids = []
    for person in people:
        await onboard(person)
        ids.append(await open_request(person, f"help {person.first_name}"))
    await harness.settle()
    aysel = harness.caseworkers[0]
    await aysel.press_in(harness.staff, "Claim", _card(harness, await _case_topic(harness, ids[0])))
    await harness.settle()
    await aysel.send_in(harness.staff, "/queue")
    queue = await harness.staff.wait_for("Open cases")
    positions = [queue.text.index(f"#{i} ") for i in ids]
    assert positions[1] < positions[2] < positions[0]  # unclaimed by age, the claimed one last


async def test_overdue_case_gets_a_reminder_then_an_escalation(harness: Harness) -> None:
    from bot.casework.sla_job import check_overdue

    person = harness.person("Nigar", "en")
    await onboard(person)
    case_id = await open_request(person, "no answer yet")
    thread = await _case_topic(harness, case_id)
    assert await check_overdue(harness.services) == (0, 0)
    harness.clock.advance(hours=25)
    assert await check_overdue(harness.services) == (1, 0)
    await harness.staff.wait_for("waited too long", thread_id=thread)
    harness.clock.advance(hours=25)
    assert await check_overdue(harness.services) == (0, 1)
    await harness.staff.wait_for("still has no answer", thread_id=thread)
    assert await check_overdue(harness.services) == (0, 0)  # each happens once


async def test_a_topic_deleted_by_hand_is_recreated_when_the_person_writes(
    harness: Harness,
) -> None:
    person = harness.person("Kamran", "en")
    await onboard(person)
    case_id = await open_request(person, "first message")
    thread = await _case_topic(harness, case_id)
    harness.staff.delete_topic(thread)
    await person.send("are you there?")
    await harness.settle()
    live = [
        t for t in harness.staff.topics() if not t.deleted and t.name.startswith(f"#{case_id} ")
    ]
    assert len(live) == 1 and live[0].thread_id != thread
    texts = [m.text for m in harness.staff.messages(live[0].thread_id)]
    assert "are you there?" in [person_said(m) for m in harness.staff.messages(live[0].thread_id)]
    assert any(t.startswith("🗂") for t in texts)  # the card came back too


async def test_a_closed_topic_is_reopened(harness: Harness) -> None:
    person = harness.person("Sevinj", "en")
    await onboard(person)
    case_id = await open_request(person, "first")
    thread = await _case_topic(harness, case_id)
    harness.staff.close_topic(thread)
    await person.send("second")
    await harness.staff.wait_for("second", thread_id=thread)
    assert not harness.staff.topic(thread).closed


async def test_forged_callback_cannot_touch_someone_elses_case(harness: Harness) -> None:
    owner = harness.person("Owner", "en")
    await onboard(owner)
    case_id = await open_request(owner, "private matter")
    intruder = harness.person("Intruder", "en")
    menu = await onboard(intruder)
    await intruder.press_data(f"r:close:{case_id}", menu.message_id)
    await intruder.press_data(f"r:closeok:{case_id}", menu.message_id)
    await intruder.press_data(f"r:rate:{case_id}:1", menu.message_id)
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.status == "new" and row.record.rating is None
    assert any("not available" in (a.get("text") or "") for a in intruder.callback_answers)
    # A card button pressed by someone outside the staff chat does nothing either.
    await intruder.press_data(f"c:{case_id}:claim", menu.message_id)
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert row is not None and row.record.assignee_id is None


async def test_staff_commands_give_outsiders_nothing(harness: Harness) -> None:
    outsider = harness.person("Stranger", "en")
    await onboard(outsider)
    for command in ("/queue", "/case 1", "/find passport", "/report", "/audit 1"):
        await outsider.send(command)
        reply = await outsider.wait_for(lambda m: True)
        assert "Open cases" not in reply.text and "Report" not in reply.text


async def test_a_former_caseworker_removed_from_the_staff_chat_loses_access(
    harness: Harness,
) -> None:
    person = harness.person("Rena", "en")
    await onboard(person)
    case_id = await open_request(person, "help")
    thread = await _case_topic(harness, case_id)
    murad = harness.caseworkers[1]
    await murad.send_in(harness.staff, "first reply", thread_id=thread)
    await person.wait_for("first reply")
    await harness.settle()  # the card now shows the claim the reply made
    harness.staff.remove_member(murad)
    assert isinstance(harness.services.staff, StaffDirectory)
    harness.services.staff.forget(
        murad.user_id
    )  # the membership cache is short; skip waiting it out
    card = _card(harness, thread)
    await murad.press_in(harness.staff, "Unclaim", card)
    await harness.settle()
    row = await harness.services.cases.get(case_id)
    assert (
        row is not None and row.record.assignee_id == murad.user_id
    )  # claimed by the reply; the former caseworker's press changed nothing
    assert row.status == "in_progress"
    assert any("Only current caseworkers" in (a.get("text") or "") for a in murad.callback_answers)
    assert not any("second reply" in m.text for m in person.messages())


async def test_without_forum_topics_replies_relay_both_ways(harness_factory) -> None:
    harness = await harness_factory(forum=False)
    person = harness.person("Plain", "en")
    await onboard(person)
    case_id = await open_request(person, "plain group please")
    await harness.settle()
    staff = harness.staff
    assert staff.topics() == []
    card = next(m for m in staff.messages() if m.text.startswith("🗂") and f"#{case_id}" in m.text)
    copy = next(m for m in staff.messages() if person_said(m) == "plain group please")
    aysel = harness.caseworkers[0]
    await aysel.send_in(staff, "answer by reply", reply_to=copy.message_id)
    await person.wait_for("answer by reply")
    await aysel.send_in(staff, "a reply to the card works too", reply_to=card.message_id)
    await person.wait_for("a reply to the card works too")
    await aysel.send_in(staff, "not a reply: stays in the group")
    await harness.settle()
    assert not any("stays in the group" in m.text for m in person.messages())
    await person.send("thanks!")
    echo = await staff.wait_for(lambda m: person_said(m) == "thanks!")
    # The bot notes which case a copy belongs to just after Telegram confirms it; a person
    # replying takes longer than that, a test need not.
    await harness.settle()
    await aysel.send_in(staff, "replying to the person's latest", reply_to=echo.message_id)
    await person.wait_for("replying to the person's latest")


async def test_very_long_markup_laden_messages_arrive_whole_both_ways(harness: Harness) -> None:
    person = harness.person("Long", "en")
    await onboard(person)
    case_id = await open_request(person, "start")
    thread = await _case_topic(harness, case_id)
    long_in = ("<b>&amp; * _ ` " * 300)[:4096]
    await person.send(long_in)
    await harness.settle()
    # Over the limit with the mark: it arrives in pieces, each marked, nothing lost.
    arrived = "".join(
        person_said(m) or "" for m in harness.staff.messages(thread) if person_said(m)
    )
    assert arrived.replace("\n", "").endswith(long_in.replace("\n", "").strip())
    long_out = ("R&D <tags> *stars* " * 300)[:4096]
    await harness.caseworkers[0].send_in(harness.staff, long_out, thread_id=thread)
    await harness.settle()
    received = "".join(
        m.text.split("\n\n", 1)[1]
        for m in person.messages()
        if m.text.startswith("👤") and "\n\n" in m.text
    )
    assert (
        received.replace("\n", "").strip() == long_out.replace("\n", "").strip()
    )  # Telegram trims the ends
