"""Shared pieces of the fault tests: reading the bot's database, people who cope with restarts."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any

from bot.sandbox import BotMessage, Emulator, GroupDriver, UserDriver
from bot.sandbox.botapi.core import EmulatorCore

# -- the database, read from outside the bot -------------------------------------------------


def query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """One read on the bot's database (WAL: safe while the bot writes). Blocking: in loops
    that wait on the bot, call it through asyncio.to_thread so the emulator keeps serving."""
    with closing(sqlite3.connect(db_path, timeout=10)) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql, params).fetchall())


def inbox_statuses(db_path: Path) -> dict[str, int]:
    return {
        r["status"]: r["n"]
        for r in query(db_path, "SELECT status, COUNT(*) n FROM inbox GROUP BY status")
    }


def outbox_statuses(db_path: Path) -> dict[str, int]:
    return {
        r["status"]: r["n"]
        for r in query(db_path, "SELECT status, COUNT(*) n FROM outbox GROUP BY status")
    }


def cases_by_person(db_path: Path) -> dict[int, list[sqlite3.Row]]:
    out: dict[int, list[sqlite3.Row]] = {}
    for row in query(db_path, "SELECT * FROM cases ORDER BY id"):
        out.setdefault(row["user_id"], []).append(row)
    return out


def case_thread(db_path: Path, case_id: int) -> int | None:
    rows = query(db_path, "SELECT thread_id FROM cases WHERE id = ?", (case_id,))
    return rows[0]["thread_id"] if rows else None


async def wait_quiet(db_path: Path, emu: Emulator, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until every update is fetched, confirmed and handled and the outbox has nothing pending."""
    deadline = time.monotonic() + timeout
    while True:
        inbox = await asyncio.to_thread(inbox_statuses, db_path)
        outbox = await asyncio.to_thread(outbox_statuses, db_path)
        if not inbox.get("pending") and not outbox.get("pending") and emu.pending_updates == 0:
            await asyncio.sleep(0.5)
            inbox = await asyncio.to_thread(inbox_statuses, db_path)
            outbox = await asyncio.to_thread(outbox_statuses, db_path)
            if not inbox.get("pending") and not outbox.get("pending") and emu.pending_updates == 0:
                return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not quiet after {timeout}s: inbox {inbox}, outbox {outbox}, "
                f"{emu.pending_updates} update(s) not confirmed"
            )
        await asyncio.sleep(0.1)


# -- what people see --------------------------------------------------------------------------


def all_bot_messages(
    emu: EmulatorCore, chat_id: int, thread_id: int | None = None
) -> list[BotMessage]:
    """Every bot message in a chat (topic), deleted ones included: deliveries are counted."""
    chat = emu.chats[chat_id]
    return [
        BotMessage(emu, m)
        for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
        if m.from_id == emu.bot.id
        and not m.service
        and (thread_id is None or m.thread_id == thread_id)
    ]


def count_containing(
    emu: EmulatorCore, chat_id: int, needle: str, thread_id: int | None = None
) -> int:
    return sum(1 for m in all_bot_messages(emu, chat_id, thread_id) if needle in m.text)


def delivery_times(emu: EmulatorCore, chat_id: int, needle: str) -> list[float]:
    """time.monotonic() at which each copy containing `needle` reached the chat."""
    chat = emu.chats[chat_id]
    return sorted(
        m.t
        for m in chat.messages.values()
        if m.from_id == emu.bot.id
        and needle in (m.text if m.text is not None else (m.caption or ""))
    )


def current_screen(person: UserDriver) -> BotMessage | None:
    """The bot message with inline buttons that changed last in this chat (the live screen)."""
    emu = person._emu
    chat = emu.chats[person.chat_id]
    for event in reversed(emu.events):
        if event.chat_id != person.chat_id or event.kind == "delete":
            continue
        msg = chat.messages[event.message_id]
        if not msg.deleted and (msg.reply_markup or {}).get("inline_keyboard"):
            return BotMessage(emu, msg)
    return None


def chat_events(emu: EmulatorCore, chat_id: int, since: int) -> int:
    return sum(1 for e in emu.events[since:] if e.chat_id == chat_id)


async def wait_chat_change(
    emu: EmulatorCore,
    chat_id: int,
    since: int,
    timeout: float,  # noqa: ASYNC109
) -> bool:
    """Until the bot sends or edits something in this chat after event `since`."""
    deadline = time.monotonic() + timeout
    while not chat_events(emu, chat_id, since):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await emu.wait_change(min(remaining, 0.5))
    return True


# Steps of the robust drivers the bot never reacted to (person, screen text): e.g. a replay
# the bot recognised and skipped after a restart, when the first run died before answering.
SILENT_STEPS: list[tuple[str, str]] = []


async def act(
    person: UserDriver,
    action: Callable[[], Awaitable[Any]],
    timeout: float = 20.0,  # noqa: ASYNC109
) -> bool:
    """Do something and wait until the bot reacts in this chat; False if it never did."""
    emu = person._emu
    since = emu.event_seq
    await action()
    return await wait_chat_change(emu, person.chat_id, since, timeout)


async def _step(
    person: UserDriver, action: Callable[[], Awaitable[Any]], screen: BotMessage | None
) -> None:
    """A step of a robust driver: no reaction within 5 s counts as silent, then it looks again."""
    if not await act(person, action, timeout=5.0):
        SILENT_STEPS.append((person.first_name, (screen.text if screen else "")[:40]))


def _data(screen: BotMessage | None) -> list[str]:
    if screen is None:
        return []
    return [b.callback_data or "" for row in screen.buttons for b in row]


async def onboard_robust(person: UserDriver, *, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """/start, English, skip the audience question; repeats a step the bot lost track of."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = current_screen(person)
        data = _data(screen)
        if screen is not None and "e:" in data and "r:new" in data:
            return
        if screen is not None and any(d.startswith("l:en") for d in data):
            code, mid = next(d for d in data if d.startswith("l:en")), screen.message_id
            await _step(person, partial(person.press_data, code, mid), screen)
        elif screen is not None and "a:-" in data:
            mid = screen.message_id
            await _step(person, partial(person.press_data, "a:-", mid), screen)
        else:
            await _step(person, lambda: person.send("/start"), screen)
    raise AssertionError(f"{person} never reached the main menu; screen: {current_screen(person)}")


def confirmation_case_id(message: BotMessage) -> int | None:
    """The case number in "request #12 sent" / "you already have an open request #12"."""
    if "#" not in message.text or ("r:list" not in _data(message) and "r:list" not in message.text):
        return None
    digits = ""
    for ch in message.text.split("#", 1)[1]:
        if ch.isdigit():
            digits += ch
        elif digits:
            break
    return int(digits) if digits else None


async def open_request_robust(
    person: UserDriver,
    description: str,
    *,
    timeout: float = 90.0,  # noqa: ASYNC109
    think: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Go through the intake by reading the live screen each time, so a replayed update, a
    restart or a reset step only costs a detour. Returns the case number the bot confirmed."""
    deadline = time.monotonic() + timeout
    described_on: int | None = None  # the describe screen the description was sent on
    waited = False
    while time.monotonic() < deadline:
        if think is not None:
            await think()
        screen = current_screen(person)
        data = _data(screen)
        if screen is not None and "#" in screen.text and "r:list" in data:
            case_id = confirmation_case_id(screen)
            if case_id is not None:
                return case_id
        if screen is None:
            await _step(person, lambda: person.send("/start"), screen)
            continue
        mid = screen.message_id

        def press(code: str, mid: int = mid) -> Callable[[], Awaitable[Any]]:
            return lambda: person.press_data(code, mid)

        if "i:ok" in data:
            step = press("i:ok")
        elif "i:v:done" in data:
            step = press("i:v:done")
        elif any(d.startswith("i:children:") for d in data):
            step = press("i:children:1")
        elif any(d.startswith("i:adults:") for d in data):
            step = press("i:adults:2")
        elif "i:region:-" in data:
            step = lambda: person.send("Baku")  # noqa: E731
        elif "i:phone:-" in data:
            step = press("i:phone:-")
        elif "i:done" in data:
            step = press("i:done")
        elif "i:x" in data and not any(d.startswith("i:cat:") for d in data):
            if described_on == screen.message_id and not waited:  # sent; wait for "Done" once
                waited = True
                await wait_chat_change(person._emu, person.chat_id, person._emu.event_seq, 5)
                continue
            described_on, waited = screen.message_id, False  # (then write again, as people do)
            step = lambda: person.send(description)  # noqa: E731
        elif "i:cat:documents" in data:
            step = press("i:cat:documents")
        elif "r:new" in data:
            step = press("r:new")
        elif "r:list" in data and "#" in screen.text:
            step = press("r:new")
        elif "a:-" in data:
            step = press("a:-")
        elif any(d.startswith("l:en") for d in data):
            step = press(next(d for d in data if d.startswith("l:en")))
        else:
            step = lambda: person.send("/start")  # noqa: E731
        await _step(person, step, screen)
    raise AssertionError(f"{person} could not open a request; screen: {current_screen(person)}")


def topic_of_case(staff: GroupDriver, case_id: int) -> int | None:
    live = [t for t in staff.topics() if t.name.startswith(f"#{case_id} ") and not t.deleted]
    return live[-1].thread_id if live else None
