"""Feeds stored updates to the handlers: one lane at a time per chat, many chats at once."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.delivery.settled import RecentlySettled
from bot.storage.errors import as_storage_error, storage_fault
from bot.storage.inbox import InboxRepo, InboxRow

log = logging.getLogger(__name__)


@dataclass
class UpdateOutcome:
    """Filled by the error handler when a handler raised while processing one update."""

    update_id: int
    error: BaseException | None = None


# The error handler runs inside the same task as process_update, so it sees this variable.
current_outcome: contextvars.ContextVar[UpdateOutcome | None] = contextvars.ContextVar(
    "current_outcome", default=None
)


def describe_error(exc: BaseException) -> str:
    """Exception type and where it was raised; never its message, which may quote a person."""
    frame = None
    tb = exc.__traceback__
    while tb is not None:
        if "/bot/" in tb.tb_frame.f_code.co_filename:
            frame = tb
        tb = tb.tb_next
    where = ""
    if frame is not None:
        code = frame.tb_frame.f_code
        where = f" at {code.co_filename.rsplit('/bot/', 1)[-1]}:{frame.tb_lineno} in {code.co_name}"
    return f"{type(exc).__qualname__}{where}"


ProcessFn = Callable[[InboxRow], Awaitable[None]]

# A person's chat with more than this many updates still waiting is flooding (a script, or
# thousands of edits of one message): further updates of it are dropped as they arrive, so
# that one chat can never fill the inbox and stop the poller for everyone. Group lanes are
# not capped (a busy staff topic is not an attack).
MAX_LANE_BACKLOG = 50


def capped_lane(lane: str) -> bool:
    """A person's own lane: their private chat (c<positive id>) or their presses (u<id>)."""
    return lane.startswith("u") or (lane.startswith("c") and not lane.startswith("c-"))


class InboxDispatcher:
    """Runs each lane's updates in order; lanes run concurrently up to a bound."""

    def __init__(
        self, inbox: InboxRepo, process: ProcessFn, clock: Clock, max_concurrency: int = 64
    ) -> None:
        self._inbox = inbox
        self._process = process
        self._clock = clock
        self._lanes: dict[str, deque[InboxRow]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._idle = asyncio.Event()
        self._idle.set()
        self._queued = 0
        self.processed = 0
        self.failed = 0
        self._fatal: BaseException | None = None
        # Set when the database cannot be used: the poller then stops the bot (see fatal).
        self.broken = asyncio.Event()
        self._lock_warned = False  # one warning per spell of a locked database, not one per chat
        self.dropped = 0
        self._drops: set[asyncio.Task[None]] = set()
        # Called when a lane has no update left here (several instances: the lane's lease).
        self.on_lane_idle: Callable[[str], Awaitable[None]] | None = None
        # When each queued update was submitted, oldest first (dicts keep insertion order).
        self._since: dict[int, float] = {}
        self._dropping: set[int] = set()  # dropped, their mark not yet written
        # Handled here lately, kept when a claimer reads pending rows (which may still return
        # them); None without one, so nothing piles up.
        self.settled: RecentlySettled | None = None

    @property
    def pending(self) -> int:
        return self._queued

    def submit_once(self, row: InboxRow) -> bool:
        """Queue the update unless it is queued or being handled already (a claimer reads a
        pending row again until it is handled); True if queued."""
        if row.update_id in self._since or row.update_id in self._dropping:
            return False
        if self.settled is not None and not self.settled.fresh(row.update_id):
            return False
        self.submit(row)
        return True

    def has_lane(self, lane: str) -> bool:
        """Updates of this lane are queued or being handled here."""
        return lane in self._lanes

    def submit(self, row: InboxRow) -> None:
        """Queue one stored update behind earlier ones of its lane (or drop a flood's excess)."""
        lane = self._lanes.get(row.lane)
        if lane is not None and len(lane) >= MAX_LANE_BACKLOG and capped_lane(row.lane):
            self._drop(row)
            return
        self._queued += 1
        self._since.setdefault(row.update_id, time.monotonic())
        self._idle.clear()
        if lane is not None:
            lane.append(row)
            return
        self._lanes[row.lane] = deque([row])
        task = asyncio.create_task(self._drain(row.lane), name=f"lane-{row.lane}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop(self, row: InboxRow) -> None:
        """Mark an update of a flooding chat handled without handling it (its text erased)."""
        self.dropped += 1
        if self.dropped in (1, 100) or self.dropped % 1000 == 0:
            log.warning("a chat is flooding the bot: %s updates dropped so far", self.dropped)

        async def mark() -> None:
            try:
                await self._inbox.mark_dropped(row.update_id, self._clock.now())
                if self.settled is not None:
                    self.settled.settle(row.update_id)
            except Exception as exc:  # left pending: handled (or dropped) after a restart
                log.warning("could not mark a dropped update: %s", type(exc).__name__)
            finally:
                self._dropping.discard(row.update_id)

        self._dropping.add(row.update_id)

        task = asyncio.create_task(mark())
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def _drain(self, lane_key: str) -> None:
        lane = self._lanes[lane_key]
        try:
            while lane and self._fatal is None:
                row = lane[0]
                # The slot bounds handlers at work; the mark after is a wait for the shared
                # commit, so it gives its slot to the next chat. The lane still waits for it.
                async with self._slots:
                    error = await self._run(row)
                await self._mark(row, error)
                lane.popleft()
                self._queued -= 1
                if self.settled is not None:  # before it leaves _since: see RecentlySettled
                    self.settled.settle(row.update_id)
                self._since.pop(row.update_id, None)
        except Exception as exc:  # storage failure: stop feeding, the rows stay pending
            if self._fatal is None:
                self._fatal = exc
            self.broken.set()
        finally:
            if self._fatal is not None:
                self._queued -= len(lane)
                for row in lane:
                    self._since.pop(row.update_id, None)
                lane.clear()
            self._lanes.pop(lane_key, None)
            if self._queued == 0:
                self._idle.set()
            if self._fatal is None and self.on_lane_idle is not None:
                task = asyncio.create_task(self._report_idle(lane_key))
                self._drops.add(task)
                task.add_done_callback(self._drops.discard)

    async def _report_idle(self, lane_key: str) -> None:
        assert self.on_lane_idle is not None
        try:
            await self.on_lane_idle(lane_key)
        except Exception as exc:  # the lease runs out by itself; the updates stay pending
            log.warning("could not release a lane: %s", type(exc).__name__)

    async def _run(self, row: InboxRow) -> str | None:
        """Handle one update (again while the database is merely locked); the error, if any."""
        attempt = 0
        while True:
            outcome = UpdateOutcome(row.update_id)
            token = current_outcome.set(outcome)
            try:
                await self._process(row)
            except Exception as exc:  # a failure outside handlers (e.g. a malformed update)
                outcome.error = exc
            finally:
                current_outcome.reset(token)
            if outcome.error is None or storage_fault(outcome.error) is None:
                break
            # Not the update's fault but the database's: never mark it failed. Locked by
            # someone else: handle it again later. Read-only, full, damaged: stop (raise).
            await self._storage_trouble(outcome.error, attempt)
            attempt += 1
        return describe_error(outcome.error) if outcome.error is not None else None

    async def _mark(self, row: InboxRow, error: str | None) -> None:
        """Record the update handled (or failed), retrying while the database is locked."""
        now = self._clock.now()
        attempt = 0
        if error is not None:
            self.failed += 1
            log.error("update %s failed: %s", row.update_id, error)
        else:
            self.processed += 1
        while True:
            try:
                if error is not None:
                    await self._inbox.mark_failed(row.update_id, error, now)
                else:
                    await self._inbox.mark_done(row.update_id, now)
                self._lock_warned = False  # the database answers again
                return
            except Exception as exc:
                await self._storage_trouble(exc, attempt)
                attempt += 1

    async def _storage_trouble(self, exc: BaseException, attempt: int) -> None:
        fault = storage_fault(exc)
        if fault is None:
            raise exc
        if fault == "fatal" or self._fatal is not None:
            raise as_storage_error(exc) from exc
        if not self._lock_warned:
            self._lock_warned = True
            log.warning("%s; trying again", as_storage_error(exc))
        await asyncio.sleep(min(30.0, 0.5 * 2**attempt))

    async def wait_idle(self) -> None:
        """Until every submitted update has been handled."""
        await self._idle.wait()

    @property
    def fatal(self) -> BaseException | None:
        return self._fatal

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
