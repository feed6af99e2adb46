"""Pacing to Telegram's limits: ~30 messages/s overall, 1/s per chat, 20/min per group."""

from __future__ import annotations

import time
from collections import deque


class Pacer:
    """Tells when the next message to a chat may go, without sleeping itself."""

    def __init__(
        self,
        overall_per_second: float = 30.0,
        private_interval: float = 1.0,
        group_per_minute: int = 20,
    ) -> None:
        self._overall_interval = 1.0 / overall_per_second
        self._private_interval = private_interval
        self._group_per_minute = group_per_minute
        self._next_overall = 0.0
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    def delay(self, chat_id: int, now: float | None = None) -> float:
        """Seconds to wait before a message to `chat_id` respects every cap (0 = go now)."""
        now = time.monotonic() if now is None else now
        wait = max(0.0, self._next_overall - now, self._next_chat.get(chat_id, 0.0) - now)
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends and len(sends) >= self._group_per_minute:
                wait = max(wait, sends[0] + 60.0 - now)
        return wait

    def record(self, chat_id: int, now: float | None = None) -> None:
        """Count one message sent to `chat_id`."""
        now = time.monotonic() if now is None else now
        self._next_overall = max(self._next_overall, now) + self._overall_interval
        self._next_chat[chat_id] = now + self._private_interval
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque())
            sends.append(now)
            while sends and sends[0] <= now - 60.0:
                sends.popleft()

    def penalise(self, chat_id: int, seconds: float, now: float | None = None) -> None:
        """Telegram said retry_after: hold this chat (and everyone, briefly) back."""
        now = time.monotonic() if now is None else now
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), now + seconds)
