"""The inbox worker: in order within a chat, concurrent across chats, failures recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.clock import SystemClock
from bot.delivery.inbox_worker import InboxDispatcher, current_outcome
from bot.storage import open_store
from bot.storage.inbox import InboxRow


async def test_one_slow_chat_does_not_hold_up_the_others_and_order_is_kept(tmp_path: Path) -> None:
    db = await open_store(tmp_path / "d.db")
    inbox = db.inbox
    done: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def process(row: InboxRow) -> None:
        if row.lane == "slow" and row.update_id == 1:
            await release.wait()
        done.append((row.lane, row.update_id))

    rows = [
        InboxRow(1, "slow", "{}"),
        InboxRow(2, "slow", "{}"),
        InboxRow(3, "fast", "{}"),
        InboxRow(4, "fast", "{}"),
    ]
    await inbox.add(rows, SystemClock().now())
    dispatcher = InboxDispatcher(inbox, process, SystemClock(), max_concurrency=4)
    for row in rows:
        dispatcher.submit(row)
    for _ in range(100):
        if len(done) == 2:
            break
        await asyncio.sleep(0.01)
    assert done == [("fast", 3), ("fast", 4)]  # the slow chat's first update is still running
    release.set()
    await dispatcher.wait_idle()
    assert done[2:] == [("slow", 1), ("slow", 2)]  # and its updates kept their order
    assert await inbox.unfinished() == []
    await db.close()


async def test_a_failure_is_recorded_and_the_next_update_still_runs(tmp_path: Path) -> None:
    db = await open_store(tmp_path / "f.db")
    inbox = db.inbox

    async def process(row: InboxRow) -> None:
        if row.update_id == 1:
            outcome = current_outcome.get()
            assert outcome is not None
            outcome.error = ValueError("the person wrote: private words")
        elif row.update_id == 2:
            raise KeyError("private words")

    rows = [InboxRow(n, "c", "{}") for n in (1, 2, 3)]
    await inbox.add(rows, SystemClock().now())
    dispatcher = InboxDispatcher(inbox, process, SystemClock())
    for row in rows:
        dispatcher.submit(row)
    await dispatcher.wait_idle()
    statuses = {n: await inbox.status(n) for n in (1, 2, 3)}
    assert statuses == {1: "failed", 2: "failed", 3: "done"}
    errors = [
        r["error"]
        for r in await db.executor.fetchall("SELECT error FROM inbox WHERE status = 'failed'")
    ]
    assert errors and all("private" not in e for e in errors)
    await db.close()
