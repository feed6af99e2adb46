"""Fetches updates itself so that each is stored before Telegram forgets it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.delivery import retry_seconds
from bot.delivery.inbox_worker import InboxDispatcher
from bot.storage.errors import as_storage_error, storage_fault
from bot.storage.inbox import InboxRepo, InboxRow

log = logging.getLogger(__name__)

# Raw calls on purpose: the inbox stores updates exactly as Telegram sent them, and the outbox
# replays stored JSON parameters; PTB's hint to use the typed methods does not apply.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

# Stop fetching while this many stored updates wait to be handled (a bound on memory, not a
# flood control: one flooding chat is cut at its own lane, see inbox_worker.MAX_LANE_BACKLOG,
# long before this). They are safe in the inbox, and Telegram keeps the rest for 24 hours.
MAX_BACKLOG = 20_000
# What the bot asks Telegram for (handlers.common.SERVED): business messages, inline queries,
# reactions and the rest are not sent at all.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

# Stores raw updates (one commit) and hands the fresh ones to the dispatcher; returns those.
AcceptFn = Callable[[list[dict[str, Any]]], Awaitable[list[InboxRow]]]


class UpdatePoller:
    """getUpdates → accept (inbox committed, dispatcher fed) → next getUpdates confirms the
    offset."""

    def __init__(
        self,
        bot: Bot,
        inbox: InboxRepo,
        dispatcher: InboxDispatcher,
        accept: AcceptFn,
        *,
        timeout: int = 25,
    ) -> None:
        self._bot = bot
        self._inbox = inbox
        self._dispatcher = dispatcher
        self._accept = accept
        self._timeout = timeout
        self._stop = asyncio.Event()
        self.fetched = 0

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Poll until stopped; network trouble is retried with backoff, never fatal.

        Storage trouble: a locked database is waited out (the offset stays, so Telegram sends
        the same updates again); a read-only, full or damaged one, here or in the dispatcher,
        ends this task with a StorageError, which stops the bot.
        """
        offset = await self._stored(self._inbox.next_offset)
        backoff = 0.5
        locked = 0
        while not self._stop.is_set():
            self._raise_if_broken()
            if self._dispatcher.pending >= MAX_BACKLOG:
                await asyncio.sleep(0.05)
                continue
            try:
                raw = await self._fetch_unless_broken(offset)
            except RetryAfter as exc:
                await self._sleep(retry_seconds(exc.retry_after))
                continue
            except InvalidToken:
                log.critical("Telegram rejected BOT_TOKEN: check the token from @BotFather")
                raise
            except Conflict as exc:
                if "webhook" in exc.message.lower():
                    # A webhook is still set (deleteWebhook at start failed, or another tool
                    # set one): polling is what this process was told to do.
                    log.warning("a webhook is set for this bot; deleting it to poll")
                    with contextlib.suppress(TelegramError):
                        await self._bot.delete_webhook(drop_pending_updates=False)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 30)
                    continue
                log.error("another process is fetching updates for this bot; retrying")
                await self._sleep(5)
                continue
            except (TimedOut, NetworkError, TelegramError) as exc:
                # Anything else Telegram (or a proxy in front of it) answers, e.g. a 200 whose
                # body is not JSON, is retried too: nothing was confirmed, so nothing is lost.
                log.warning(
                    "getUpdates failed (%s); retrying in %.1fs", type(exc).__name__, backoff
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            backoff = 0.5
            if not raw:
                continue
            updates = [
                u for u in raw if isinstance(u, dict) and isinstance(u.get("update_id"), int)
            ]
            if not updates:
                continue
            # Commit first; only then does the next call's offset confirm them to Telegram.
            try:
                fresh = await self._accept(updates)
            except Exception as exc:
                fault = storage_fault(exc)
                if fault is None:
                    raise
                if fault == "fatal":
                    raise as_storage_error(exc) from exc
                if not locked:
                    log.warning("%s; fetching the same updates again", as_storage_error(exc))
                await self._sleep(min(30.0, 0.5 * 2**locked))
                locked += 1
                continue
            locked = 0
            self.fetched += len(fresh)
            offset = max(offset, *(int(u["update_id"]) + 1 for u in updates))

    def _raise_if_broken(self) -> None:
        fatal = self._dispatcher.fatal
        if fatal is not None:
            raise as_storage_error(fatal) if storage_fault(fatal) else fatal

    async def _fetch_unless_broken(self, offset: int) -> list[Any]:
        """getUpdates, cut short if the dispatcher finds the database unusable meanwhile
        (what was fetched is then not stored, so not confirmed: Telegram keeps it)."""
        fetch = asyncio.ensure_future(self._fetch(offset))
        broken = asyncio.ensure_future(self._dispatcher.broken.wait())
        try:
            await asyncio.wait({fetch, broken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            broken.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
        self._raise_if_broken()
        return fetch.result()

    async def _stored(self, read: Callable[[], Awaitable[int]]) -> int:
        try:
            return await read()
        except Exception as exc:
            if storage_fault(exc) is None:
                raise
            raise as_storage_error(exc) from exc

    async def _fetch(self, offset: int) -> list[Any]:
        result = await self._bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": offset,
                "timeout": self._timeout,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
            read_timeout=self._timeout + 10,
        )
        return list(result or [])

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass
