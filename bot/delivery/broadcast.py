"""Sending a running announcement: the outbox fed in bounded batches from a cursor, each
person's delivery record claimed before the call, progress edited in the staff chat, a report.

Never 100,000 outbox rows at once: the outbox's reads slow down with every pending row, and
notices queued behind a broadcast would wait for all of it. At most `window` rows of a
broadcast are pending at a time; the outbox worker sends them at the bulk cap (inside the
overall pace), and this loop tops them up. Each batch (delivery records, outbox rows, the
cursor) is one transaction: a crash never queues anyone twice, and the next start continues
from the cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.delivery.outbox_worker import OutboxWorker
from bot.i18n import Tr
from bot.services import Services
from bot.storage.broadcasts import Broadcast
from bot.storage.outbox import OutboxItem
from bot.ui import announcements as ui

log = logging.getLogger(__name__)

KIND = "announcement"
BROADCAST_KEY = "$broadcast"  # in the outbox row's parameters; taken out before the call
IDLE_SECONDS = 2.0  # look for a newly confirmed broadcast this often without a wake-up


def install_announcement_hooks(worker: OutboxWorker, services: Services) -> None:
    """Teach the outbox worker the delivery records of announcements."""
    broadcasts = services.store.broadcasts

    def ids(item: OutboxItem) -> tuple[int, int]:
        return int(item.params.get(BROADCAST_KEY, 0)), item.chat_id

    async def prepare(item: OutboxItem) -> dict[str, Any] | None:
        bid, user_id = ids(item)
        b = await broadcasts.get(bid)
        if b is None or b.status != "running":
            await broadcasts.finish_delivery(bid, user_id, "skipped")  # cancelled meanwhile
            return None
        found = await broadcasts.claim(bid, user_id)
        if found != "queued":
            return None  # sent, cut off by a crash ('uncertain' now), or erased: never twice
        return {k: v for k, v in item.params.items() if k != BROADCAST_KEY}

    async def after(item: OutboxItem, result: Any) -> bool:
        # The record and the outbox row in one commit (one fsync less per announcement).
        message_id = result.get("message_id") if isinstance(result, dict) else None
        async with services.store.transaction() as uow:
            await uow.broadcasts.finish_delivery(*ids(item), "sent")
            await uow.outbox.mark_sent(item.id, message_id, services.clock.now())
        return True

    async def failed(item: OutboxItem, _reason: str) -> None:
        await broadcasts.finish_delivery(*ids(item), "failed")

    async def blocked(item: OutboxItem, _reason: str) -> None:
        await broadcasts.finish_delivery(*ids(item), "blocked")

    async def retrying(item: OutboxItem, exc: Exception) -> None:
        # A 429 or a refused connection surely delivered nothing: the call may be made again.
        # A timeout may have delivered: the record stays 'sending', and the next attempt finds
        # it so and leaves it ('uncertain') rather than risk a second copy.
        if isinstance(exc, RetryAfter) or (
            isinstance(exc, NetworkError) and not isinstance(exc, TimedOut)
        ):
            await broadcasts.requeue(*ids(item))

    worker.add_hooks(
        KIND, prepare=prepare, after=after, failed=failed, blocked=blocked, retrying=retrying
    )


class BroadcastSender:
    """Feeds the running broadcast to the outbox, edits its progress, closes it with a report."""

    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        per_second: float,
        progress_seconds: float,
        window: int | None = None,
    ) -> None:
        self.services = services
        self.bot = bot
        self.per_second = per_second
        self.progress_seconds = progress_seconds
        # Enough pending rows for two seconds at the cap: never a gap, never a flood.
        self.window = window or max(20, int(per_second * 2))
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._last_progress: dict[int, tuple[float, str]] = {}

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            busy = False
            try:
                busy = await self.step()
            except Exception as exc:
                from bot.storage.errors import storage_fault

                if storage_fault(exc) == "fatal":
                    raise
                log.warning("broadcast: %s; trying again", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.25 if busy else IDLE_SECONDS)

    async def step(self) -> bool:
        """One look: feed, report progress, close what has ended. True while one runs."""
        store = self.services.store
        for c in await store.broadcasts.unfinished_cancelled():
            if c.outstanding > 0 and not await store.outbox.pending_of_kind(KIND):
                await store.broadcasts.settle_orphans(c.id)
                c = await store.broadcasts.get(c.id) or c
            if c.outstanding <= 0 or not c.queued:
                await self._close(c)
            else:
                await self._progress(c)
        b = await store.broadcasts.running()
        if b is None:
            return False
        if not b.fed_all and b.outstanding < self.window:
            await self.feed(b, self.window - b.outstanding)
            b = await store.broadcasts.get(b.id) or b
        if b.fed_all and b.outstanding > 0 and not await store.outbox.pending_of_kind(KIND):
            # Everything fed and nothing left in the outbox, yet records open: a crash came
            # between an outbox row's end and its record's. Settle them; never resend.
            if await store.broadcasts.settle_orphans(b.id):
                log.warning(
                    "broadcast %s: delivery records without an outbox row settled as uncertain",
                    b.id,
                )
            b = await store.broadcasts.get(b.id) or b
        if b.fed_all and b.outstanding <= 0:
            await self._close(b)
            return False
        await self._progress(b)
        return True

    async def feed(self, b: Broadcast, room: int) -> int:
        """Queue up to `room` more people in one transaction; returns how many were queued."""
        services = self.services
        bodies: dict[str, tuple[str, dict[str, object]]] = {}
        prepared = services.content.announcements.prepared.get(b.announcement_id or "")
        if b.announcement_id is not None and prepared is None:
            log.error(
                "broadcast %s: announcement %r is no longer in the pack; cancelled",
                b.id,
                b.announcement_id,
            )
            await services.store.broadcasts.cancel(b.id)
            return 0
        pack = services.content.pack

        def body(lang: str) -> tuple[str, dict[str, object]]:
            if lang not in bodies:
                tr = services.catalogs.tr(lang if lang in pack.languages else pack.default_language)
                if prepared is not None:
                    _lang, text = prepared.text_for(pack.language_chain(tr.lang))
                    bodies[lang] = ui.announcement_message(text, tr, prepared, pack)
                else:
                    bodies[lang] = ui.announcement_message(b.text or "", tr)
            return bodies[lang]

        now = services.clock.now()
        queued = 0
        async with services.store.transaction() as uow:
            locked = await uow.broadcasts.lock(b.id)
            if locked is None or locked.status != "running" or locked.fed_all:
                return 0
            recipients, cursor = await uow.subscriptions.audience_after(
                locked.cursor, locked.topics, locked.language, room
            )
            for r in recipients:
                if not await uow.broadcasts.add_delivery(b.id, r.user_id):
                    continue  # a second topic of the same person
                text, markup = body(r.language)
                await uow.outbox.enqueue(
                    chat_id=r.user_id,
                    method="sendMessage",
                    kind=KIND,
                    now=now,
                    params={
                        "chat_id": r.user_id,
                        "text": text,
                        "parse_mode": ParseMode.HTML,
                        "link_preview_options": {"is_disabled": True},
                        "reply_markup": markup,
                        BROADCAST_KEY: b.id,
                    },
                )
                queued += 1
            await uow.broadcasts.advance(b.id, cursor, queued, fed_all=len(recipients) < room)
        if queued:
            services.wake_outbox()
        return queued

    async def _progress(self, b: Broadcast, *, final: bool = False) -> None:
        """Edit the progress message, at most every `progress_seconds` (the group's minute)."""
        if b.progress_message_id is None:
            return
        tr = self._staff_tr()
        text = ui.progress_text(b, self.per_second, tr, final=final)
        last_at, last_text = self._last_progress.get(b.id, (0.0, ""))
        now = time.monotonic()
        if text == last_text or (not final and now - last_at < self.progress_seconds):
            return
        store = self.services.store
        if (
            store.shared
            and not final
            and not await store.leases.take_job(
                f"broadcast-progress-{b.id}", time.time(), self.progress_seconds
            )
        ):
            return
        self._last_progress[b.id] = (now, text)
        try:
            await self.bot.edit_message_text(
                text, chat_id=b.chat_id, message_id=b.progress_message_id, parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:  # progress is a courtesy: the report comes through the outbox
            log.info("broadcast %s: progress not edited (%s)", b.id, type(exc).__name__)

    async def _close(self, b: Broadcast) -> None:
        services = self.services
        if not await services.store.broadcasts.close(b.id, services.clock.now()):
            return
        done = await services.store.broadcasts.get(b.id) or b
        log.info(
            "broadcast %s %s: sent %s, failed %s, blocked %s, uncertain %s, skipped %s",
            done.id,
            done.status,
            done.sent,
            done.failed,
            done.blocked,
            done.uncertain,
            done.skipped,
        )
        await self._progress(done, final=True)
        params: dict[str, object] = {
            "chat_id": done.chat_id,
            "text": ui.report_text(done, self._staff_tr()),
            "parse_mode": ParseMode.HTML,
        }
        if done.thread_id:
            params["message_thread_id"] = done.thread_id
        await services.outbox.enqueue(
            chat_id=done.chat_id,
            method="sendMessage",
            params=params,
            now=services.clock.now(),
            kind="broadcast_report",
            dedupe_key=f"broadcast:{done.id}:report",
        )
        self._last_progress.pop(done.id, None)
        services.wake_outbox()

    def _staff_tr(self) -> Tr:
        services = self.services
        return services.catalogs.tr(
            services.settings.staff_language or services.content.pack.default_language
        )
