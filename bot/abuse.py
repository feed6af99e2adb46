"""Per-person flood limit: messages counted in one-minute windows, in memory."""

from __future__ import annotations

import time


class FloodGuard:
    """Counts a person's messages in the current minute; says when they go over the limit.

    A window start and a count per person (not a list of timestamps): with 100,000 people
    known this stays a few megabytes.
    """

    def __init__(self, limit_per_minute: int) -> None:
        self.limit = limit_per_minute
        self._windows: dict[int, tuple[float, int]] = {}

    def hit(self, user_id: int, now: float | None = None) -> int:
        """Record one message; return how many the person sent in their current minute."""
        now = time.monotonic() if now is None else now
        start, count = self._windows.get(user_id, (now, 0))
        if now - start >= 60:
            start, count = now, 0
        count += 1
        self._windows[user_id] = (start, count)
        if len(self._windows) > 50_000:  # forget people whose minute is over
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 60}
        return count

    def over(self, count: int) -> bool:
        return count > self.limit

    def first_over(self, count: int) -> bool:
        """Only the first message over the limit gets the polite notice; the rest are dropped."""
        return count == self.limit + 1
