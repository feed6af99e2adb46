"""Announcements end to end through the emulator: people subscribe (in English and Russian),
an admin announces, each gets it once in their language; the unsubscribe button, /delete,
a non-admin, a stale or doubled confirm, and bad input that changes nothing."""

from __future__ import annotations

import json

from bot.casework.staff import StaffDirectory as CaseworkStaff
from bot.sandbox import BotMessage, UserDriver
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness
from tests.faults.helpers import count_containing


async def subscribe(person: UserDriver, *labels: str) -> BotMessage:
    """/subscribe, tick the topics whose label contains each of `labels`, save."""
    await person.send("/subscribe")
    screen = await person.wait_for(has_data("n:ok:"))
    for label in labels:
        await person.press(label, screen)
        screen = await person.wait_for(has_data("n:ok:"))
    await person.press_data(
        next(
            b.callback_data or ""
            for row in screen.buttons
            for b in row
            if (b.callback_data or "").startswith("n:ok:")
        ),
        screen.message_id,
    )
    return await person.wait_for(
        lambda m: any(b.callback_data == "n:" for row in m.buttons for b in row)
    )


async def announce_typed(
    h: Harness, text: str, *, language: str | None = None, topic: str | None = None
) -> BotMessage:
    """The admin writes an announcement and gets to the preview; returns the preview."""
    await h.admin.send_in(h.staff, "/announce")
    await h.staff.wait_for("New announcement")
    await h.admin.send_in(h.staff, text)
    audience = await h.staff.wait_for(has_data("an:p:"))
    if topic is not None:  # from "all topics" to one topic: untick all, tick this one
        await h.admin.press_in(h.staff, "All topics", audience)
        audience = await h.staff.wait_for(has_data("an:p:"))
        await h.admin.press_in(h.staff, topic, audience)
        audience = await h.staff.wait_for(has_data("an:p:"))
    if language is not None:
        button = next(
            b
            for row in audience.buttons
            for b in row
            if (b.callback_data or "").endswith(f":{language}")
            and (b.callback_data or "").startswith("an:l:")
        )
        await h.admin.press_in(h.staff, button.text, audience)
        audience = await h.staff.wait_for(has_data("an:p:"))
    await h.admin.press_in(h.staff, "Preview", audience)
    return await h.staff.wait_for(has_data("an:x:"))


async def report(h: Harness) -> BotMessage:
    return await h.staff.wait_for("report", timeout=20)


async def test_people_subscribe_in_two_languages_and_get_a_prepared_announcement_in_theirs(
    harness: Harness,
) -> None:
    h = harness
    leyla = h.person("Leyla", "en")
    ivan = h.person("Ivan", "ru")
    outsider = h.person("Nobody", "en")
    await onboard(leyla)
    await onboard(ivan, "Русский")
    await onboard(outsider)
    await subscribe(leyla, "Documents")
    await subscribe(ivan, "Документы")
    await h.settle()
    assert await h.services.store.subscriptions.topics_of(leyla.user_id) == ["documents"]
    assert await h.services.store.subscriptions.topics_of(ivan.user_id) == ["documents"]
    await h.admin.send_in(h.staff, "/announce registration-reminder")
    preview = await h.staff.wait_for(has_data("an:go:"))
    assert "2 recipients" in preview.text
    await h.admin.press_in(h.staff, "Send to 2", preview)
    done = await report(h)
    assert "Sent: 2" in done.text
    await h.settle()
    english = next(m for m in leyla.messages() if "registration at the place of stay" in m.text)
    russian = next(m for m in ivan.messages() if "регистрация по месту пребывания" in m.text)
    assert "migration.gov.az" in str(english.entities) and "300–400 AZN" in english.text
    assert "300–400 манатов" in russian.text
    assert english.buttons[0][0].callback_data == "n:stop"
    assert not any("registration" in m.text for m in outsider.messages())  # never opted in
    for person, needle in ((leyla, "registration at the place"), (ivan, "регистрация по месту")):
        assert count_containing(h.emu, person.chat_id, needle) == 1
    # The unsubscribe button under it stops everything; the announcement stays.
    await leyla.press_data("n:stop", english.message_id)
    await leyla.wait_for("no more announcements")
    assert await h.services.store.subscriptions.topics_of(leyla.user_id) == []
    assert not english.deleted


async def test_a_typed_announcement_goes_to_one_language_and_delete_erases_subscriptions(
    harness: Harness,
) -> None:
    h = harness
    leyla = h.person("Leyla", "en")
    ivan = h.person("Ivan", "ru")
    await onboard(leyla)
    await onboard(ivan, "Русский")
    await subscribe(leyla, "Everything")
    await subscribe(ivan, "Документы")
    preview = await announce_typed(
        h, "<b>Legal-aid day</b> on 12 December &amp; more 🇦🇿", language="en"
    )
    assert "1 recipient" in preview.text
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await report(h)
    await h.settle()
    got = next(m for m in leyla.messages() if "Legal-aid day" in m.text)
    assert got.text.startswith("Legal-aid day on 12 December & more 🇦🇿")
    assert any(e["type"] == "bold" for e in got.entities)
    assert not any("Legal-aid" in m.text for m in ivan.messages())  # another language
    # /mydata shows the subscription; /delete erases it.
    await leyla.send("/mydata")
    document = await leyla.wait_for(lambda m: m.media_kind == "document")
    assert document.file_id is not None
    data = json.loads(h.emu.files[document.file_id].data)
    assert [s["topic"] for s in data["announcement_subscriptions"]] == ["*"]
    await leyla.send("/delete")
    confirm = await leyla.wait_for(has_data("p:del:ok"))
    await leyla.press_data("p:del:ok", confirm.message_id)
    await leyla.wait_for("has been deleted")
    row = await h.services.store.executor.fetchone(
        "SELECT COUNT(*) AS n FROM subscriptions WHERE user_id = ?", (leyla.user_id,)
    )
    assert row is not None and int(row["n"]) == 0
    rows = await h.services.store.executor.fetchall(
        "SELECT * FROM broadcast_deliveries WHERE user_id = ?", (leyla.user_id,)
    )
    assert rows == []


async def test_non_admins_stale_and_doubled_confirms_send_nothing(harness: Harness) -> None:
    h = harness
    leyla = h.person("Leyla", "en")
    await onboard(leyla)
    await subscribe(leyla, "Work")
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, "/announce")
    refusal = await h.staff.wait_for("Only admins")
    assert refusal is not None
    assert await h.services.store.broadcasts.recent() == []
    # In a private chat /announce is an unknown command.
    await leyla.send("/announce")
    await leyla.wait_for("don't know that command")
    preview = await announce_typed(h, "Work permits: new rules soon")
    # The admin loses the rights; the confirm they were shown does nothing.
    directory = h.services.require_staff()
    assert isinstance(directory, CaseworkStaff)
    admins = directory.admin_ids
    directory.admin_ids = frozenset()
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await h.settle()
    assert any("Only admins" in (a.get("text") or "") for a in h.admin.callback_answers)
    # A caseworker pressing it gets nothing either.
    directory.admin_ids = admins
    await aysel.press_in(h.staff, "Send to 1", preview)
    await h.settle()
    assert await h.services.store.broadcasts.running() is None
    assert not any("Work permits" in m.text for m in leyla.messages())
    # Back as admin: a double tap sends once.
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await report(h)
    await h.settle()
    assert count_containing(h.emu, leyla.chat_id, "Work permits") == 1
    assert any(
        "out of date" in (a.get("text") or "") or "already sent" in (a.get("text") or "")
        for a in h.admin.callback_answers
    )


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(harness: Harness) -> None:
    h = harness
    leyla = h.person("Leyla", "en")
    await onboard(leyla)
    await h.admin.send_in(h.staff, "/announce")
    await h.staff.wait_for("New announcement")
    await h.admin.send_in(h.staff, "x" * 4097)
    await h.staff.wait_for("too long")
    await h.admin.send_in(h.staff, "<b>unclosed and <i>crossed</b></i>")
    await h.staff.wait_for("Telegram would refuse")
    await h.admin.send_in(h.staff, "Fish & chips < 5")
    await h.staff.wait_for("Telegram would refuse")
    draft = await h.services.store.broadcasts.awaiting_text(h.admin.user_id, h.staff.chat_id)
    assert draft is not None and draft.text is None  # still waiting for a good text
    # Empty audience: nobody subscribed, so the preview has no send button.
    await h.admin.send_in(h.staff, "A fine text")
    audience = await h.staff.wait_for(has_data("an:p:"))
    await h.admin.press_in(h.staff, "Preview", audience)
    preview = await h.staff.wait_for(has_data("an:x:"))
    assert "Nobody is subscribed" in preview.text and not has_data("an:go:")(preview)
    # A second /announce while one runs is refused; /announce cancel stops it. (The sender
    # is held so that the broadcast is still running when the admin asks.)
    await subscribe(leyla, "Everything")
    preview = await announce_typed(h, "First one")
    assert h.runtime is not None and h.runtime.broadcaster is not None
    sender = h.runtime.broadcaster

    async def hold(_b: object, _room: int) -> int:
        return 0

    sender.feed = hold  # type: ignore[method-assign,assignment]  # a sender that feeds nothing
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await h.staff.wait_for("Announcement #")
    await h.admin.send_in(h.staff, "/announce")
    await h.staff.wait_for("is being sent")
    assert len([b for b in await h.services.store.broadcasts.recent() if b.status == "draft"]) == 0
    await h.admin.send_in(h.staff, "/announce cancel")
    await h.staff.wait_for("being cancelled")
    done = await report(h)
    assert "Cancelled" in done.text
    assert not any("First one" in m.text for m in leyla.messages())
    await h.admin.send_in(h.staff, "/announce nonexistent")
    await h.staff.wait_for("no prepared announcement")


async def test_after_delete_no_table_holds_the_subscribers_id(harness: Harness) -> None:
    from tests.e2e.test_security import scan_database

    h = harness
    person = h.person("Farid", "en")
    await onboard(person)
    await subscribe(person, "Everything")
    preview = await announce_typed(h, "Office hours change on Friday")
    await h.admin.press_in(h.staff, "Send to 1", preview)
    await report(h)
    await person.wait_for("Office hours")
    await person.send("/delete")
    confirm = await person.wait_for(has_data("p:del:ok"))
    await person.press_data("p:del:ok", confirm.message_id)
    await person.wait_for("has been deleted")
    await h.settle()
    await h.stop()
    assert scan_database(h.db_path, [], person.user_id) == []
