"""Telegram's flood limits as one model shared by the two send paths.

Telegram caps what a bot *starts*: about 30 messages a second overall (bulk notices) and about
one a second into one chat, with short bursts. A reply to a person's own message in their
private chat is not capped like that; the right reaction to a limit there is to honour
`retry_after`. Everything into a group counts against that group's 20 messages a minute
(edits too), replies or not. Answering a callback query is not a message.

So there are two paths, each with one limiter:

- **replies** (`ReplyLimiter`, PTB's rate-limiter hook on the application's bot): sent at
  once; a group's messages take a slot of the group's minute, ahead of queued notices; a
  `RetryAfter` holds that chat (the whole bot only when the answer was not about one chat)
  and the request is retried, so a chat's replies stay in order;
- **proactive sends** (the outbox worker): `proactive_delay`/`take_proactive` pace them to
  the overall and per-chat caps, and to what the group has left once waiting replies had
  theirs.

Both read and write the same `FloodLimits`, so a group's minute is counted once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery import retry_seconds

log = logging.getLogger(__name__)

# Bot API methods that put a message into a chat or change one: these count against a
# group's 20 a minute. Reads, topic management, chat actions and callback answers do not.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo",
        "sendAnimation", "sendVideoNote", "sendSticker", "sendContact", "sendLocation",
        "sendVenue", "sendPoll", "sendDice", "sendMediaGroup", "sendPaidMedia", "sendInvoice",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
        "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
        "editMessageLiveLocation", "stopMessageLiveLocation", "stopPoll",
    }
)  # fmt: skip

# Marks a request the outbox worker already paced and whose RetryAfter it handles itself.
OUTBOX = "outbox"
# Forget per-chat state once this many chats are known (entries that have fully recovered).
_PRUNE_AT = 20_000
# Telegram counts a message when it arrives, this model when it leaves: a group's minute is
# taken as 61 seconds and a chat's refill as 10% slower, so network jitter never turns a
# paced send into a 429.
GROUP_WINDOW = 61.0
# Bulk sends a late worker may make up at once (see FloodLimits.take_bulk).
BULK_CATCH_UP = 4
CHAT_RATE_MARGIN = 1.1


def chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat id of a request, if it has one (usernames count as none)."""
    value = data.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def is_group(chat_id: int | None) -> bool:
    """Groups, supergroups and channels have negative ids; people positive ones."""
    return chat_id is not None and chat_id < 0


class FloodLimits:
    """Holds from `retry_after`, each group's minute, and the pace of proactive sends.

    Time comes from `now` (monotonic seconds), so tests can drive it.
    """

    def __init__(
        self,
        *,
        overall_per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: float = 3.0,
        group_per_minute: int = 20,
        bulk_per_second: float = 25.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall_interval = 1.0 / overall_per_second if overall_per_second > 0 else 0.0
        self._chat_rate = chat_per_second / CHAT_RATE_MARGIN
        self._chat_burst = max(1.0, chat_burst)
        self._group_per_minute = group_per_minute
        self._now = now
        self._next_overall = 0.0
        # Bulk sends (announcements) have a pace of their own inside the overall one, so that
        # notices and relays keep part of the overall budget while a broadcast runs.
        self.bulk_per_second = bulk_per_second
        self._bulk_interval = 1.0 / bulk_per_second if bulk_per_second > 0 else 0.0
        self._next_bulk = 0.0
        self._global_hold = 0.0
        self._holds: dict[int, float] = {}
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._group_sends: dict[int, deque[float]] = {}
        self._group_locks: dict[int, asyncio.Lock] = {}
        self._replies_waiting: dict[int, int] = {}
        self.holds_seen = 0  # RetryAfter answers received, both paths

    # -- retry_after ----------------------------------------------------------------------

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Telegram said retry_after: hold this chat, or everything when no chat was named."""
        until = self._now() + max(0.0, seconds)
        self.holds_seen += 1
        if chat_id is None:
            self._global_hold = max(self._global_hold, until)
        else:
            self._holds[chat_id] = max(self._holds.get(chat_id, 0.0), until)

    def hold_delay(self, chat_id: int | None) -> float:
        """Seconds until a hold on this chat (or on the whole bot) is over."""
        now = self._now()
        until = self._global_hold
        if chat_id is not None:
            until = max(until, self._holds.get(chat_id, 0.0))
        return max(0.0, until - now)

    # -- a group's minute -----------------------------------------------------------------

    def _group_window(self, chat_id: int, now: float) -> deque[float]:
        sends = self._group_sends.setdefault(chat_id, deque())
        while sends and sends[0] <= now - GROUP_WINDOW:
            sends.popleft()
        return sends

    def group_delay(self, chat_id: int) -> float:
        """Seconds until the group has a free slot in its rolling minute (0 = now)."""
        now = self._now()
        sends = self._group_window(chat_id, now)
        if len(sends) < self._group_per_minute:
            return 0.0
        return max(0.0, sends[len(sends) - self._group_per_minute] + GROUP_WINDOW - now)

    def _count_group(self, chat_id: int) -> None:
        now = self._now()
        self._group_window(chat_id, now).append(now)

    async def acquire_group_slot(self, chat_id: int) -> float:
        """Wait (first come, first served among replies) for a slot of the group's minute.

        Returns the seconds waited. Queued notices yield to a reply that is waiting here.
        """
        lock = self._group_locks.setdefault(chat_id, asyncio.Lock())
        self._replies_waiting[chat_id] = self._replies_waiting.get(chat_id, 0) + 1
        started = self._now()
        try:
            async with lock:
                # Waiting for time to pass (the oldest send leaving the minute), not for an event.
                while (wait := max(self.group_delay(chat_id), self.hold_delay(chat_id))) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(wait)
                self._count_group(chat_id)
        finally:
            self._replies_waiting[chat_id] -= 1
            if not self._replies_waiting[chat_id]:
                del self._replies_waiting[chat_id]
        return self._now() - started

    # -- proactive sends (the outbox) -----------------------------------------------------

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, at = self._buckets.get(chat_id, (self._chat_burst, now))
        return min(self._chat_burst, tokens + (now - at) * self._chat_rate)

    def proactive_delay(self, chat_id: int) -> float:
        """Seconds until a message the bot starts may go to this chat (0 = now).

        The overall pace is not included: it is a short wait taken just before sending
        (`overall_delay`), whereas a chat that is not ready is skipped for now.
        """
        now = self._now()
        wait = self.hold_delay(chat_id)
        if self._chat_rate > 0:
            tokens = self._tokens(chat_id, now)
            if tokens < 1.0:
                wait = max(wait, (1.0 - tokens) / self._chat_rate)
        if is_group(chat_id):
            if self._replies_waiting.get(chat_id):
                wait = max(wait, self.group_delay(chat_id), 1.0)
            else:
                wait = max(wait, self.group_delay(chat_id))
        return wait

    def overall_delay(self) -> float:
        """Seconds until the overall proactive pace allows the next send."""
        return max(0.0, self._next_overall - self._now(), self._global_hold - self._now())

    def bulk_delay(self) -> float:
        """Seconds until the bulk pace allows the next bulk send (an announcement)."""
        return max(0.0, self._next_bulk - self._now())

    def take_bulk(self) -> None:
        now = self._now()
        # A bucket a few sends deep: sends taken late (the worker looks when it can, on a busy
        # machine tens of ms late) are made up by the next ones, so the cap is kept; a pause
        # turns into at most BULK_CATCH_UP sends at once, far inside Telegram's ~30/s.
        floor = now - BULK_CATCH_UP * self._bulk_interval
        self._next_bulk = max(self._next_bulk, floor) + self._bulk_interval

    def take_proactive(self, chat_id: int) -> None:
        """Count one proactive send to `chat_id` (after its delays came to 0)."""
        now = self._now()
        self._next_overall = max(self._next_overall, now) + self._overall_interval
        if self._chat_rate > 0:
            self._buckets[chat_id] = (self._tokens(chat_id, now) - 1.0, now)
        if is_group(chat_id):
            self._count_group(chat_id)
        if len(self._buckets) > _PRUNE_AT or len(self._holds) > _PRUNE_AT:
            self._prune(now)

    def _prune(self, now: float) -> None:
        self._buckets = {
            chat: (tokens, at)
            for chat, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._chat_rate < self._chat_burst
        }
        self._holds = {chat: until for chat, until in self._holds.items() if until > now}
        self._group_sends = {chat: sends for chat, sends in self._group_sends.items() if sends}


RequestCallback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class ReplyLimiter(BaseRateLimiter[str]):
    """PTB's rate-limiter hook for replies: no pacing in private chats, a group's minute in
    groups, and `retry_after` honoured by waiting and retrying (in order, per chat)."""

    def __init__(self, limits: FloodLimits, max_retries: int = 5) -> None:
        self.limits = limits
        self.max_retries = max_retries
        self.group_waits = 0  # replies that waited for a group slot

    async def initialize(self) -> None:
        """Nothing to set up: the limits live in memory."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: RequestCallback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send now (or when the group has a slot); on RetryAfter wait and send again."""
        if rate_limit_args == OUTBOX:
            return await callback(*args, **kwargs)
        chat_id = chat_of(data)
        counted = is_group(chat_id) and endpoint in MESSAGE_METHODS
        attempt = 0
        while True:
            if counted:
                assert chat_id is not None
                if await self.limits.acquire_group_slot(chat_id) > 0:
                    self.group_waits += 1
            else:
                wait = self.limits.hold_delay(chat_id)
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc.retry_after)
                self.limits.hold(chat_id, seconds)
                attempt += 1
                log.warning(
                    "Telegram asked to wait %.0f s (%s to %s); retry %s",
                    seconds,
                    endpoint,
                    "a group" if is_group(chat_id) else ("a person" if chat_id else "the bot"),
                    attempt,
                )
                if attempt > self.max_retries:
                    raise
