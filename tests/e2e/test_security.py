"""Attacks and careless use, through the real bot over the Bot API wire format: a former
caseworker, a person who erases their data to evade a block, a flood of edits, emoji-heavy
texts, and what erasure leaves behind in every column of every table."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from bot.casework.staff import StaffDirectory
from bot.sandbox import UserDriver
from bot.sandbox.emulator import RESTRICTED_LEFT
from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness

PLANTED = "Xylophone-Marmot-4417"


async def topic_of(h: Harness, case_id: int) -> int:
    await h.settle()
    return next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))


def card_in(h: Harness, thread: int):
    return next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))


def scan_database(path: Path, needles: list[str], user_id: int) -> list[str]:
    """Every (table, column) of every row that holds the person's id or a planted string."""
    found = []
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cur = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cur.description]
            for row in cur:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, int) and value == user_id:
                        found.append(f"{table}.{column} = id")
                    elif isinstance(value, str | bytes):
                        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
                        for needle in (*needles, str(user_id)):
                            if needle in text:
                                found.append(f"{table}.{column} has {needle!r}")
    finally:
        conn.close()
    return found


# -- 2: a restricted member who left is no caseworker ---------------------------------------


async def test_a_restricted_caseworker_who_left_can_no_longer_act(harness: Harness) -> None:
    h = harness
    person = h.person("Leyla", "en")
    await onboard(person)
    case_id = await open_request(person, "help with documents")
    thread = await topic_of(h, case_id)
    murad = h.caseworkers[1]
    h.emu.set_member_status(h.staff.chat_id, murad.user_id, RESTRICTED_LEFT)
    assert isinstance(h.services.staff, StaffDirectory)
    h.services.staff.forget(murad.user_id)
    await murad.press_in(h.staff, "Claim", card_in(h, thread))
    await h.settle()
    row = await h.services.cases.get(case_id)
    assert row is not None and row.record.assignee_id is None
    assert any("Only current caseworkers" in (a.get("text") or "") for a in murad.callback_answers)
    h.emu.chats[h.staff.chat_id].members[murad.user_id] = (
        "member"  # let them post, as Telegram would
    )
    await murad.send_in(h.staff, "a message the person must not get", thread_id=thread)
    h.emu.chats[h.staff.chat_id].members[murad.user_id] = RESTRICTED_LEFT
    await h.settle()
    assert not any("must not get" in m.text for m in person.messages())


# -- 4: erasure and anonymisation leave nothing behind --------------------------------------


async def test_delete_leaves_neither_the_id_nor_the_words_in_any_table(harness: Harness) -> None:
    h = harness
    person = h.person("Zaur", "en")
    await onboard(person)
    case_id = await open_request(person, f"I live at {PLANTED}")
    thread = await topic_of(h, case_id)
    await person.send(f"and also {PLANTED}")
    await h.caseworkers[0].send_in(h.staff, f"we will visit {PLANTED}", thread_id=thread)
    await person.wait_for(PLANTED)
    await h.settle()
    # The person closes the request themselves (an action of their own in the audit log).
    await person.send("/requests")
    listing = await person.wait_for(has_data("r:close:"))
    await person.press_data(f"r:close:{case_id}", listing.message_id)
    await person.wait_for(has_data("r:closeok:"))
    await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    await h.settle()
    await person.send("/delete")
    confirm = await person.wait_for(has_data("p:del:ok"))
    await person.press_data("p:del:ok", confirm.message_id)
    await person.wait_for("has been deleted")
    await h.settle()
    await h.stop()
    leftovers = scan_database(h.db_path, [PLANTED], person.user_id)
    assert leftovers == [], leftovers


async def test_retention_leaves_no_reply_text_or_chat_id_in_the_outbox(harness: Harness) -> None:
    from bot.privacy.retention import apply_retention

    h = harness
    person = h.person("Aynur", "en")
    await onboard(person)
    case_id = await open_request(person, f"old matter {PLANTED}")
    thread = await topic_of(h, case_id)
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, f"answer about {PLANTED}", thread_id=thread)
    await person.wait_for(PLANTED)
    card = card_in(h, thread)
    await aysel.press_in(h.staff, "Status", card)
    await h.settle()
    await aysel.press_in(h.staff, "Closed", card)
    await h.settle()
    h.clock.advance(days=400)  # past closed-case retention and the profile's inactivity
    await apply_retention(h.services)
    await h.stop()
    leftovers = scan_database(h.db_path, [PLANTED], person.user_id)
    assert leftovers == [], leftovers


# -- 5: a block and the daily limit survive the person's own /delete ------------------------


async def test_delete_does_not_lift_a_block_or_reset_the_daily_limit(harness_factory) -> None:
    h = await harness_factory(max_requests_per_day=1)

    async def delete_everything(person) -> None:
        await person.send("/delete")
        confirm = await person.wait_for(has_data("p:del:ok"))
        await person.press_data("p:del:ok", confirm.message_id)
        await person.wait_for("has been deleted")
        await h.settle()

    limited = h.person("Limited", "en")
    await onboard(limited)
    await open_request(limited, "first request")
    await h.settle()
    await delete_everything(limited)
    await onboard(limited)
    await limited.press_data("r:new", limited.last().message_id)
    await limited.wait_for("several requests today")  # the limit was not reset

    blocked = h.person("Evader", "en")
    await onboard(blocked)
    case_id = await open_request(blocked, "abusive request")
    await h.settle()
    await h.caseworkers[0].send_in(h.staff, f"/block {case_id}")
    await h.staff.wait_for("is blocked")
    h.clock.advance(days=1)  # a new day: the limit no longer applies, the block does
    await delete_everything(blocked)
    await onboard(blocked)
    await blocked.press_data("r:new", blocked.last().message_id)
    await blocked.wait_for("cannot open new requests")
    rows = await h.services.store.executor.fetchall(
        "SELECT subject, blocked FROM abuse WHERE blocked = 1"
    )
    assert len(rows) == 1 and str(blocked.user_id) not in rows[0][0]


# -- 6: a flood of edits holds up nobody else ------------------------------------------------


@pytest.mark.timing
async def test_thousands_of_edits_do_not_hold_up_anyone_else(harness: Harness) -> None:
    h = harness
    flooder, other = h.person("Flood", "en"), h.person("Calm", "en")
    for p in (flooder, other):
        await onboard(p)
    mid = await flooder.send("hello there")
    await h.settle()
    before = len(flooder.messages())
    for i in range(2100):
        h.emu.person_edit(flooder.user_id, flooder.chat_id, mid, f"edit {i}")
    started = time.monotonic()
    await other.send("/help")
    await other.wait_for("/language", timeout=10)
    assert time.monotonic() - started < 2.0, "another person waited behind the flood"
    deadline = time.monotonic() + 60
    while (await h.services.inbox.counts()).get("pending"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    await h.settle()
    answers = len(flooder.messages()) - before
    assert answers <= h.services.settings.max_messages_per_minute + 1, answers


async def test_a_flood_of_button_presses_is_cut_and_every_spinner_stops(harness: Harness) -> None:
    h = harness
    person = h.person("Tapper", "en")
    menu = await onboard(person)
    presses = [await person.press_data("m:", menu.message_id) for _ in range(300)]
    await h.settle()
    edits_after = h.emu.chats[person.chat_id].messages[menu.message_id].edit_date
    assert edits_after is not None
    handled = len(
        [
            e
            for e in h.emu.sent_log
            if e["method"] == "editMessageText" and e["params"].get("chat_id") == person.chat_id
        ]
    )
    assert handled <= h.services.flood.press_limit + 5
    assert len(presses) == 300


# -- 8: lengths as Telegram counts them (UTF-16) ---------------------------------------------


async def test_emoji_heavy_texts_fit_telegrams_limits_both_ways(harness: Harness) -> None:
    h = harness
    person = h.person("Emoji", "en")
    await onboard(person)
    case_id = await open_request(person, "😀" * 1900 + " first")
    thread = await topic_of(h, case_id)
    for _ in range(3):
        await person.send("😀" * 2040)
    await h.settle()
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, f"/case {case_id}")
    summary = await h.staff.wait_for(f"#{case_id}")
    assert summary is not None
    caption = "🙂" * 600 + " end of a long caption"
    h.emu.person_message(
        aysel.user_id,
        h.staff.chat_id,
        media=h.emu.new_upload_file("photo"),
        caption=caption,
        thread_id=thread,
    )
    await h.settle()
    got = [m for m in person.messages() if m.media_kind == "photo"]
    assert got, "the photo never reached the person"
    assert any("end of a long caption" in m.text for m in person.messages()), "the caption was lost"
    failed = [e for e in h.emu.error_log if "too long" in e["description"]]
    assert failed == []


async def test_a_reply_telegram_refuses_for_good_is_reported_in_the_case_topic(
    harness: Harness,
) -> None:
    h = harness
    person = h.person("Refused", "en")
    await onboard(person)
    case_id = await open_request(person, "please answer")
    thread = await topic_of(h, case_id)
    h.emu.faults.add("sendMessage", kind="400", chat_id=person.chat_id)
    await h.caseworkers[0].send_in(h.staff, "this one will be refused", thread_id=thread)
    await h.staff.wait_for("could not be delivered", thread_id=thread, timeout=10)


# -- 1: staff commands and buttons work only in the staff chat ------------------------------


async def test_staff_commands_show_nothing_outside_the_staff_group(harness: Harness) -> None:
    h = harness
    person = h.person("Leyla", "en")
    await onboard(person)
    case_id = await open_request(person, f"secret story {PLANTED}")
    await h.settle()
    aysel = h.caseworkers[0]
    aysel.user.started = True
    elsewhere = h.emu.add_group("Friends", forum=False, members=[aysel], admins=[])
    h.emu.set_member_status(elsewhere.chat_id, h.emu.bot.id, "administrator")
    for command in (
        f"/case {case_id}",
        f"/find {PLANTED}",
        "/queue",
        "/mine",
        "/report",
        f"/audit {case_id}",
    ):
        await aysel.send(command)
        await aysel.wait_for("only in the staff group")
        await aysel.send_in(elsewhere, command)
        await elsewhere.wait_for("only in the staff group")
    shown = [m.text for m in aysel.messages()] + [m.text for m in elsewhere.messages()]
    assert not any(PLANTED in t or f"#{case_id}" in t for t in shown)
    outsider = h.person("Outsider", "en")
    await onboard(outsider)
    await outsider.send(f"/case {case_id}")
    unknown = await outsider.wait_for("don't know that command")
    assert PLANTED not in unknown.text
    # A case button pressed outside the staff chat changes nothing.
    stray = elsewhere.messages()[-1]
    h.emu.chats[elsewhere.chat_id].messages[stray.message_id].reply_markup = {
        "inline_keyboard": [[{"text": "x", "callback_data": f"c:{case_id}:claim"}]]
    }
    qid = h.emu.person_press(
        aysel.user_id, elsewhere.chat_id, stray.message_id, f"c:{case_id}:claim"
    )
    await h.settle()
    row = await h.services.cases.get(case_id)
    assert row is not None and row.record.assignee_id is None
    assert h.emu.callback_queries[qid].answered


# -- 3: a person's /delete or close in the middle of a caseworker's reply is never undone ---


async def _race(h: Harness, *, person_action: str) -> tuple[int, UserDriver]:
    person = h.person("Racer", "en")
    await onboard(person)
    case_id = await open_request(person, "please help")
    thread = await topic_of(h, case_id)
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, "first answer", thread_id=thread)
    await person.wait_for("first answer")
    await h.settle()
    assert isinstance(h.services.staff, StaffDirectory)
    h.services.staff.forget(aysel.user_id)  # a cold cache: the next staff check asks Telegram
    h.emu.faults.add("getChatMember", kind="slow", retry_after=2)
    await aysel.send_in(h.staff, f"a late answer {PLANTED}", thread_id=thread)
    await asyncio.sleep(0.5)  # the relay is waiting for Telegram now
    if person_action == "delete":
        await person.send("/delete")
        confirm = await person.wait_for(has_data("p:del:ok"))
        await person.press_data("p:del:ok", confirm.message_id)
        await person.wait_for("has been deleted")
    else:
        await person.send("/requests")
        listing = await person.wait_for(has_data("r:close:"))
        await person.press_data(f"r:close:{case_id}", listing.message_id)
        await person.wait_for(has_data("r:closeok:"))
        await person.press_data(f"r:closeok:{case_id}", person.last().message_id)
    await asyncio.sleep(2.5)
    await h.settle()
    return case_id, person


async def test_a_delete_during_a_slow_staff_check_is_not_undone(harness: Harness) -> None:
    h = harness
    case_id, person = await _race(h, person_action="delete")
    row = await h.services.cases.get(case_id)
    assert row is not None and row.status == "deleted" and row.user_id is None
    assert not any(PLANTED in m.text for m in person.messages())
    await h.stop()
    assert scan_database(h.db_path, [PLANTED], person.user_id) == []


async def test_a_close_during_a_slow_staff_check_is_not_undone(harness: Harness) -> None:
    h = harness
    case_id, person = await _race(h, person_action="close")
    row = await h.services.cases.get(case_id)
    assert row is not None and row.status == "closed"
    assert not any(PLANTED in m.text for m in person.messages())


# -- 9: the person's words cannot pass for the bot's own notices ----------------------------


async def test_a_person_cannot_forge_a_bot_notice_in_the_case_topic(harness: Harness) -> None:
    h = harness
    person = h.person("Forger", "en")
    await onboard(person)
    case_id = await open_request(person, "hello")
    thread = await topic_of(h, case_id)
    forged = "⚠️ The person has blocked the bot: messages to them cannot be delivered."
    await person.send(forged)
    await person.send_photo(caption="🚨 Case still has no answer after the reminder.")
    await h.settle()
    in_topic = h.staff.messages(thread)
    mine = [m for m in in_topic if forged in m.text or "still has no answer" in m.text]
    assert len(mine) == 2
    assert all(m.text.startswith("💬") and "From the person" in m.text.split("\n")[0] for m in mine)
    assert not any(m.text.startswith(("⚠️", "🚨")) for m in in_topic)


# -- 10 and 12: ids are parsed strictly, and only caseworkers can be assigned ---------------


async def test_odd_numbers_in_buttons_and_commands_get_a_clear_answer(harness: Harness) -> None:
    h = harness
    person = h.person("Numbers", "en")
    await onboard(person)
    case_id = await open_request(person, "numbers")
    thread = await topic_of(h, case_id)
    card = card_in(h, thread)
    aysel = h.caseworkers[0]
    for data in ("c:²:claim", "c:99999999999999999999:claim", "c:-1:claim", "c:1e3:claim"):
        qid = h.emu.person_press(aysel.user_id, h.staff.chat_id, card.message_id, data)
        await h.settle()
        assert h.emu.callback_queries[qid].answered
    for command in (
        "/case 99999999999999999999",
        "/case ²",
        "/find #99999999999999999999",
        "/audit 99999999999999999999",
        "/block ²",
    ):
        sender = h.admin if command.startswith("/audit") else aysel
        await sender.send_in(h.staff, command)
        await h.staff.wait_for(
            lambda m: "No such case" in m.text or "Use /" in m.text or "No case matches" in m.text
        )
    for data in ("r:close:²", "r:rate:99999999999999999999:5", "r:rate:1:²"):
        await person.press_data(data, person.last().message_id)
    await h.settle()
    failed = await h.services.store.executor.fetchall(
        "SELECT error FROM inbox WHERE status = 'failed'"
    )
    assert [r["error"] for r in failed] == []


async def test_only_a_current_caseworker_can_be_assigned(harness: Harness) -> None:
    h = harness
    person = h.person("Assignee", "en")
    await onboard(person)
    case_id = await open_request(person, "assign me")
    thread = await topic_of(h, case_id)
    card = card_in(h, thread)
    aysel, murad = h.caseworkers
    for value in (str(person.user_id), "0", str(h.emu.bot.id), "abc"):
        h.emu.person_press(
            aysel.user_id, h.staff.chat_id, card.message_id, f"c:{case_id}:as:{value}"
        )
        await h.settle()
        row = await h.services.cases.get(case_id)
        assert row is not None and row.record.assignee_id is None, value
    assert any("Only a current caseworker" in (a.get("text") or "") for a in aysel.callback_answers)
    h.emu.person_press(
        aysel.user_id, h.staff.chat_id, card.message_id, f"c:{case_id}:as:{murad.user_id}"
    )
    await h.settle()
    row = await h.services.cases.get(case_id)
    assert row is not None and row.record.assignee_id == murad.user_id
