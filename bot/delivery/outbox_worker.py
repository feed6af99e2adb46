"""Sends what the outbox holds: in order per chat, paced, retried, never dropped."""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bot.clock import Clock
from bot.delivery import retry_seconds
from bot.delivery.limits import OUTBOX, FloodLimits
from bot.delivery.settled import RecentlySettled
from bot.storage.errors import StorageError, as_storage_error, storage_fault
from bot.storage.outbox import OutboxItem, OutboxRepo

log = logging.getLogger(__name__)

# Raw calls on purpose: the inbox stores updates exactly as Telegram sent them, and the outbox
# replays stored JSON parameters; PTB's hint to use the typed methods does not apply.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

# Network errors are retried with backoff doubling from 0.5 s up to 10 minutes; this many
# attempts span about a day, so an outage of hours delays messages but drops none.
MAX_ATTEMPTS = 155
# Sends in flight at once, to different chats (one chat's messages go one at a time, in
# order): at 50 ms a round trip, one at a time would cap the outbox near 20 a second.
MAX_IN_FLIGHT = 16
# On a graceful stop, sends in flight get this long to finish and be recorded.
DRAIN_SECONDS = 5.0

# Hooks let the case layer act around a send without this worker knowing about cases:
# `prepare` fills in late-bound parameters (a case's topic id), `after` records results,
# `on_bad_request` may repair (recreate a deleted topic) and ask for a retry.
PrepareHook = Callable[[OutboxItem], Awaitable[dict[str, Any] | None]]
# An `after` hook that returns True has marked the item sent itself (in its own transaction).
AfterHook = Callable[[OutboxItem, Any], Awaitable[bool | None]]
RepairHook = Callable[[OutboxItem, BadRequest], Awaitable[bool]]
UnreachableHook = Callable[[int], Awaitable[None]]
FailedHook = Callable[[OutboxItem, str], Awaitable[None]]
RetryHook = Callable[[OutboxItem, Exception], Awaitable[None]]
# Bulk kinds (announcements) are paced at the bulk cap inside the overall pace: a chat that
# is not ready, or a bulk item while the bulk pace says wait, is skipped for now, so notices
# queued behind a broadcast are not held up by it.
BULK_KINDS = frozenset({"announcement"})


class OutboxWorker:
    """One loop: pick due items (the oldest per chat), skip chats that must wait, send the
    rest concurrently (one per chat at a time) at the overall pace, record each result."""

    def __init__(
        self,
        bot: Bot,
        repo: OutboxRepo,
        clock: Clock,
        *,
        limits: FloodLimits | None = None,
        on_unreachable: UnreachableHook | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._bot = bot
        self._repo = repo
        self._clock = clock
        self.limits = limits or FloodLimits()
        self._on_unreachable = on_unreachable
        self._slots = asyncio.Semaphore(max_in_flight)
        self._busy_chats: set[int] = set()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._settled = RecentlySettled()
        self._failure: BaseException | None = None
        self._idle_cap = 30.0  # longest idle wait without a wake-up
        # Paced here already: tell the bot's reply limiter (if it has one) to let it through.
        self._marker: str | None = OUTBOX if getattr(bot, "rate_limiter", None) else None
        self._prepare: dict[str, PrepareHook] = {}
        self._after: dict[str, AfterHook] = {}
        self._repair: dict[str, RepairHook] = {}
        self._failed: dict[str, FailedHook] = {}
        self._blocked: dict[str, FailedHook] = {}
        self._retrying: dict[str, RetryHook] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.sent = 0

    def add_hooks(
        self,
        kind: str,
        *,
        prepare: PrepareHook | None = None,
        after: AfterHook | None = None,
        repair: RepairHook | None = None,
        failed: FailedHook | None = None,
        blocked: FailedHook | None = None,
        retrying: RetryHook | None = None,
    ) -> None:
        if retrying:  # the send will be tried again (429, a network error)
            self._retrying[kind] = retrying
        if blocked:  # Forbidden: the person blocked the bot (on_unreachable runs as well)
            self._blocked[kind] = blocked
        if failed:
            self._failed[kind] = failed
        if prepare:
            self._prepare[kind] = prepare
        if after:
            self._after[kind] = after
        if repair:
            self._repair[kind] = repair

    def set_on_unreachable(self, hook: UnreachableHook) -> None:
        self._on_unreachable = hook

    @property
    def in_flight(self) -> int:
        """Sends started and not finished (their hooks included)."""
        return len(self._in_flight)

    def wake(self) -> None:
        """Something was queued: look now rather than at the next timer."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Until stopped. A locked database is waited out; any other storage fault stops the
        worker with a StorageError (unsent items stay pending for the next start)."""
        trouble = 0
        try:
            while not self._stop.is_set():
                try:
                    self._wake.clear()
                    started, wait = await self._dispatch_due()
                    trouble = 0
                    if started:
                        continue
                    await self._idle_until_due(wait)
                except Exception as exc:
                    await self._storage_trouble(exc, trouble)
                    trouble += 1
        except asyncio.CancelledError:
            self._abandon_in_flight()  # told to stop now: what is in flight is sent again later
            raise
        finally:
            await self._drain()

    async def run_when_leader(
        self, leadership: Callable[[], AbstractAsyncContextManager[bool]], retry: float = 2.0
    ) -> None:
        """Several instances: only the one holding `leadership` sends (per-chat order and the
        bulk pace stay in one place; Telegram caps what a bot starts at ~30/s anyway). The
        others wait and take over when the holder's lock goes (its process died)."""
        announced = False
        while not self._stop.is_set():
            async with leadership() as leader:
                if leader:
                    log.info("this instance sends the outbox")
                    self._idle_cap = retry  # others enqueue too: look often (and on NOTIFY)
                    await self.run()
                    return
            if not announced:
                log.info("another instance sends the outbox; standing by")
                announced = True
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=retry)
            except TimeoutError:
                pass

    async def _dispatch_due(self) -> tuple[int, float | None]:
        """Start a send for each due chat that may receive one now.

        Returns how many were started and, if some chat had to wait, the shortest wait.
        """
        self._raise_failure()
        read = self._settled.begin_read()
        items = [i for i in await self._repo.due(self._clock.now()) if self._settled.fresh(i.id)]
        self._settled.end_read(read)
        started = 0
        shortest: float | None = None
        for item in items:
            if self._stop.is_set():
                break
            if item.chat_id in self._busy_chats:
                continue  # its previous message is still on its way: order within a chat
            delay = self.limits.proactive_delay(item.chat_id)
            bulk = item.kind in BULK_KINDS
            if bulk:
                delay = max(delay, self.limits.bulk_delay())
            if delay > 0:
                shortest = delay if shortest is None else min(shortest, delay)
                continue
            pace = self.limits.overall_delay()
            if pace > 0:
                await asyncio.sleep(pace)
            await self._slots.acquire()
            self._raise_failure()
            self.limits.take_proactive(item.chat_id)
            if bulk:
                self.limits.take_bulk()
            self._busy_chats.add(item.chat_id)
            task = asyncio.create_task(self._send_in_flight(item), name=f"outbox-{item.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            started += 1
        if started:
            # Wait for one of these to finish before asking the database again, so that a
            # chat whose message is in flight is not read (and skipped) in a tight loop.
            # Not longer than the shortest pacing wait, though: with a bulk item due in 40 ms
            # and a round trip of 100 ms, waiting for the send would halve the bulk pace.
            await asyncio.wait(
                set(self._in_flight), timeout=shortest, return_when=asyncio.FIRST_COMPLETED
            )
        return started, shortest

    async def _send_in_flight(self, item: OutboxItem) -> None:
        try:
            await self._send_one(item)
        except Exception as exc:  # a storage fault while recording: the loop decides
            if self._failure is None:
                self._failure = exc
            self._wake.set()
        finally:
            self._settled.settle(item.id)  # before the chat is free: see RecentlySettled
            self._busy_chats.discard(item.chat_id)
            self._slots.release()
            self._wake.set()

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _abandon_in_flight(self) -> None:
        for task in self._in_flight:
            task.cancel()

    async def _drain(self) -> None:
        """Let sends in flight finish (their results are recorded) before the worker ends;
        after DRAIN_SECONDS they are cancelled and stay pending for the next start."""
        if not self._in_flight:
            return
        _done, stuck = await asyncio.wait(set(self._in_flight), timeout=DRAIN_SECONDS)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)

    async def _storage_trouble(self, exc: Exception, attempt: int = 0) -> None:
        """Re-raise unless the database is only locked by someone else; then wait a little."""
        fault = storage_fault(exc)
        if fault is None:
            raise exc
        if fault == "fatal":
            raise as_storage_error(exc) from exc
        delay = min(30.0, 0.5 * 2**attempt)
        if attempt == 0:
            log.warning("outbox: %s; trying again", as_storage_error(exc))
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=delay)
        except TimeoutError:
            pass

    async def _record(self, write: Callable[[], Awaitable[Any]]) -> None:
        """A bookkeeping write after a send: retried while the database is locked, so that a
        message that went out is not sent again because its record waited for a lock."""
        attempt = 0
        while True:
            try:
                await write()
                return
            except Exception as exc:
                if self._stop.is_set():
                    raise
                await self._storage_trouble(exc, attempt)
                attempt += 1

    async def _tell_failed(self, item: OutboxItem, reason: str) -> None:
        """A message that will never arrive: let its kind's hook tell someone (a case topic)."""
        hook = self._failed.get(item.kind)
        if hook is None:
            return
        try:
            await self._record(lambda: hook(item, reason))
        except StorageError:
            raise
        except Exception as exc:
            log.error("outbox %s: failure hook failed: %s", item.id, type(exc).__name__)

    async def _tell_retrying(self, item: OutboxItem, exc: Exception) -> None:
        hook = self._retrying.get(item.kind)
        if hook is not None:
            await self._record(lambda: hook(item, exc))

    async def run_once(self) -> int:
        """Send everything due now (tests and shutdown); returns how many were attempted."""
        items = await self._repo.due(self._clock.now())
        for item in items:
            await self._send_one(item)
        return len(items)

    async def _idle_until_due(self, wait: float | None = None) -> None:
        next_at = await self._repo.next_due_at()
        # A short floor: a bulk item due in 10 ms must not wait 50 (the bulk cap would sag).
        timeout = self._idle_cap if wait is None else max(0.01, wait)
        if next_at is not None:
            timeout = max(0.05, min(timeout, (next_at - self._clock.now()).total_seconds()))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def _send_one(self, item: OutboxItem) -> None:
        now = self._clock.now()
        try:
            # Inside the try: a hook may call Telegram itself (a team's topic is created on
            # first use), and its failure is this item's failure, retried like a send.
            params = dict(item.params)
            prepare = self._prepare.get(item.kind)
            if prepare is not None:
                prepared = await prepare(item)
                if prepared is None:  # the hook decided this item is moot (e.g. case deleted)
                    await self._repo.mark_skipped(item.id, "moot when due", self._clock.now())
                    return
                params = prepared
            if isinstance(self._bot, ExtBot) and self._marker is not None:
                # Marked as a paced send: the reply limiter lets it through unpaced.
                result = await self._bot.do_api_request(
                    item.method, api_kwargs=params, rate_limit_args=self._marker
                )
            else:
                result = await self._bot.do_api_request(item.method, api_kwargs=params)
        except RetryAfter as exc:
            seconds = retry_seconds(exc.retry_after)
            self.limits.hold(item.chat_id, seconds)
            await self._tell_retrying(item, exc)
            await self._repo.retry_later(item.id, now + timedelta(seconds=seconds), "RetryAfter")
            return
        except Forbidden as exc:
            log.warning(
                "outbox %s: chat %s is unreachable (%s)", item.id, item.chat_id, exc.message
            )
            blocked = self._blocked.get(item.kind)
            if blocked is not None:  # before the row is settled: a crash in between repeats it
                reason = exc.message
                await self._record(lambda: blocked(item, reason))
            await self._repo.mark_failed(item.id, f"Forbidden: {exc.message}", status="unreachable")
            await self._repo.mark_chat_unreachable(item.chat_id, "Forbidden")
            if self._on_unreachable is not None:
                await self._on_unreachable(item.chat_id)
            return
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():  # an edit already in place
                await self._repo.mark_sent(item.id, None, self._clock.now())
                return
            repair = self._repair.get(item.kind)
            if repair is not None and item.attempts < 3 and await repair(item, exc):
                await self._repo.retry_later(item.id, now, f"BadRequest repaired: {exc.message}")
                self._wake.set()
                return
            log.error("outbox %s: %s rejected: %s", item.id, item.method, exc.message)
            await self._repo.mark_failed(item.id, f"BadRequest: {exc.message}")
            await self._tell_failed(item, exc.message)
            return
        except (TimedOut, NetworkError, TelegramError) as exc:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                log.error("outbox %s: giving up after %s attempts", item.id, item.attempts + 1)
                await self._repo.mark_failed(item.id, f"{type(exc).__name__}: gave up")
                await self._tell_failed(item, f"{type(exc).__name__}, {item.attempts + 1} attempts")
                return
            backoff = min(600.0, 0.5 * 2**item.attempts) * (0.75 + random.random() / 2)
            await self._tell_retrying(item, exc)
            await self._repo.retry_later(
                item.id, now + timedelta(seconds=backoff), f"{type(exc).__name__}"
            )
            return
        message_id = result.get("message_id") if isinstance(result, dict) else None
        # The hook records what the send made (a topic id, a card's message id) before the
        # item is marked sent: if the process dies in between, the item is sent again (a
        # duplicate) rather than marked sent with its result lost (a case without its topic).
        after = self._after.get(item.kind)
        settled: list[bool | None] = [None]
        if after is not None:

            async def run_after() -> None:
                settled[0] = await after(item, result)

            try:
                await self._record(run_after)
            except StorageError:
                raise
            except Exception as exc:  # a bug in a hook must not resend the message forever
                log.error("outbox %s: after-send hook failed: %s", item.id, type(exc).__name__)
        if settled[0] is not True:
            await self._record(lambda: self._repo.mark_sent(item.id, message_id, self._clock.now()))
        self.sent += 1
