"""Lane claims (several instances on one store): a chat's update is handled once, by the
instance holding its lane, and a lane is let go only when nothing of it is left."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.clock import SystemClock
from bot.delivery.claims import LaneClaims
from bot.delivery.inbox_worker import InboxDispatcher
from bot.storage import open_store
from bot.storage.inbox import InboxRow
from bot.storage.leases import LeaseRepo


class SlowReads(LeaseRepo):
    """The store's lease repository, but a read of pending rows answers late: what it read
    was true when it began, and the rows may have been handled meanwhile."""

    def __init__(self, real: LeaseRepo) -> None:
        super().__init__(real.db)
        self.hold: asyncio.Event | None = None

    async def pending_in(self, lanes: list[str]) -> list[InboxRow]:
        rows = await super().pending_in(lanes)
        if self.hold is not None:
            await self.hold.wait()
        return rows


async def _until(check, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_row_handled_while_a_read_was_in_flight_is_not_handled_again(
    tmp_path: Path,
) -> None:
    store = await open_store(tmp_path / "c.db")
    handled: list[int] = []
    gate = asyncio.Event()

    async def process(row: InboxRow) -> None:
        handled.append(row.update_id)
        await gate.wait()

    dispatcher = InboxDispatcher(store.inbox, process, SystemClock())
    leases = SlowReads(store.leases)
    claims = LaneClaims(leases, dispatcher, owner="a", idle_look=0.01)
    await store.inbox.add([InboxRow(1, "c1", "{}")], SystemClock().now())
    await claims.round()  # claims c1 and submits update 1
    await _until(lambda: handled == [1])
    leases.hold = asyncio.Event()
    stale_read = asyncio.create_task(claims.round())  # reads "1 is pending" and waits
    await asyncio.sleep(0.05)
    gate.set()  # update 1 finishes and is marked done while the read is in flight
    await dispatcher.wait_idle()
    leases.hold.set()
    await stale_read
    await dispatcher.wait_idle()
    assert handled == [1]
    assert await store.inbox.status(1) == "done"
    await store.close()


async def test_a_lane_is_let_go_when_done_and_kept_while_updates_keep_coming(
    tmp_path: Path,
) -> None:
    store = await open_store(tmp_path / "l.db")
    handled: list[int] = []

    async def process(row: InboxRow) -> None:
        handled.append(row.update_id)
        if row.update_id == 1:  # stored while the first is handled: the lane must be kept
            await store.inbox.add([InboxRow(2, "c1", "{}")], SystemClock().now())

    dispatcher = InboxDispatcher(store.inbox, process, SystemClock())
    claims = LaneClaims(store.leases, dispatcher, owner="a", idle_look=0.01)
    other = LaneClaims(
        store.leases, InboxDispatcher(store.inbox, process, SystemClock()), owner="b"
    )
    await store.inbox.add([InboxRow(1, "c1", "{}")], SystemClock().now())
    runner = asyncio.create_task(claims.run())
    await _until(lambda: handled == [1, 2] and not claims.held)
    await other.round()  # the lane is free again, and there is nothing in it to take
    assert other.held == frozenset() and handled == [1, 2]
    # a stops looking while b claims the lane (else either may win the free lane first,
    # both correct), then looks again: b holds c1 now, so a must not take it.
    claims.stop()
    await runner
    await store.inbox.add([InboxRow(3, "c1", "{}")], SystemClock().now())
    await other.round()
    assert other.held == {"c1"}
    again = LaneClaims(store.leases, dispatcher, owner="a", idle_look=0.01)
    runner = asyncio.create_task(again.run())
    again.wake()
    await asyncio.sleep(0.1)
    assert "c1" not in again.held and again.claimed == 0
    again.stop()
    await runner
    await store.close()
