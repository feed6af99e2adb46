"""Per-person flood limit: a sliding one-minute window of messages, in memory."""

from __future__ import annotations

import time
from collections import deque


class FloodGuard:
    """Counts a person's messages over the last minute; says when they go over the limit."""

    def __init__(self, limit_per_minute: int) -> None:
        self.limit = limit_per_minute
        self._recent: dict[int, deque[float]] = {}

    def hit(self, user_id: int, now: float | None = None) -> int:
        """Record one message; return how many the person sent in the last minute."""
        now = time.monotonic() if now is None else now
        stamps = self._recent.setdefault(user_id, deque())
        while stamps and stamps[0] < now - 60:
            stamps.popleft()
        stamps.append(now)
        if len(self._recent) > 50_000:  # bounded memory under a crowd
            for key in [k for k, v in self._recent.items() if not v or v[-1] < now - 60]:
                self._recent.pop(key, None)
        return len(stamps)

    def over(self, count: int) -> bool:
        return count > self.limit

    def first_over(self, count: int) -> bool:
        """Only the first message over the limit gets the polite notice; the rest are dropped."""
        return count == self.limit + 1
