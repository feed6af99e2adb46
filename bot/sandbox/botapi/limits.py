"""Flood control as Telegram applies it: an overall cap, per-chat buckets and reply credits."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.botapi.errors import ApiError, too_many
from bot.sandbox.botapi.state import Chat


@dataclass
class RateLimits:
    """Flood-control caps modelled on Telegram's documented limits.

    Telegram caps what a bot starts, not its replies: a message to a person who has just
    written (a message or a button press) is a reply, and `reply_credit` of them within
    `reply_window` seconds of each update pass free of the overall and per-chat caps.
    Everything else to a person counts against about 30 a second overall and a per-chat
    bucket (about 1 a second with short bursts). Every message into a group, replies and
    edits included, counts against that group's 20 a minute (and the overall cap).
    """

    enabled: bool = True
    global_per_second: int = 30
    group_per_minute: int = 20
    private_burst: float = 3.0
    private_per_second: float = 1.0
    reply_credit: int = 3
    reply_window: float = 10.0


class FloodControl:
    """The budgets the bot's messages draw on; take() refuses with 429 when one is spent."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.refusals = 0  # calls refused with 429 for flood control (not faults)
        self._global_bucket: tuple[float, float] = (0.0, 0.0)  # (level, at); 0 = never
        self._group_sends: dict[int, collections.deque[float]] = {}
        self._private_buckets: dict[int, tuple[float, float]] = {}
        self._reply_credits: dict[int, tuple[int, float]] = {}  # chat -> (left, until)

    def grant_reply_credit(self, kind: str, payload: dict[str, Any]) -> None:
        """A person wrote or pressed in their private chat: the bot may reply freely."""
        if kind == "callback_query":
            chat = (payload.get("message") or {}).get("chat") or {}
        elif kind in ("message", "edited_message"):
            chat = payload.get("chat") or {}
        else:
            return
        if chat.get("type") != "private" or not isinstance(chat.get("id"), int):
            return
        now = time.monotonic()
        left, until = self._reply_credits.get(chat["id"], (0, now))
        if until < now:
            left = 0
        self._reply_credits[chat["id"]] = (
            min(left + self.limits.reply_credit, 2 * self.limits.reply_credit),
            now + self.limits.reply_window,
        )

    def take(self, chat: Chat, *, edit: bool = False) -> None:
        """Consume one message from the flood-control budgets or raise 429."""
        if not self.limits.enabled:
            return
        try:
            self._check(chat, edit)
        except ApiError:
            self.refusals += 1
            raise

    def _check(self, chat: Chat, edit: bool) -> None:
        now = time.monotonic()
        lim = self.limits
        if chat.type == "private":
            if edit:
                return  # editing a message in a person's chat puts nothing new there
            left, until = self._reply_credits.get(chat.id, (0, 0.0))
            if left > 0 and until >= now:
                self._reply_credits[chat.id] = (left - 1, until)
                return  # a reply to what the person just sent
        # The overall cap is a bucket of one second's worth: about 30 a second on average,
        # with the jitter of real networks absorbed (a rolling window would punish it).
        rate = float(lim.global_per_second)
        level, last = self._global_bucket
        level = min(rate, level + (now - last) * rate) if last else rate
        if level < 1.0:
            raise too_many((1.0 - level) / rate)
        group_window: collections.deque[float] | None = None
        bucket: tuple[float, float] | None = None
        if chat.type == "private":
            tokens, last = self._private_buckets.get(chat.id, (lim.private_burst, now))
            tokens = min(lim.private_burst, tokens + (now - last) * lim.private_per_second)
            if tokens < 1.0:
                raise too_many((1.0 - tokens) / lim.private_per_second)
            bucket = (tokens - 1.0, now)
        else:
            group_window = self._group_sends.setdefault(chat.id, collections.deque())
            while group_window and now - group_window[0] >= 60.0:
                group_window.popleft()
            if len(group_window) >= lim.group_per_minute:
                raise too_many(group_window[0] + 60.0 - now)
        self._global_bucket = (level - 1.0, now)
        if bucket is not None:
            self._private_buckets[chat.id] = bucket
        if group_window is not None:
            group_window.append(now)
