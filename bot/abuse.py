"""Per-person flood limit: messages counted in one-minute windows, in memory."""

from __future__ import annotations

import time

# Button presses come faster than typed messages (a person reading menus taps through
# them): they get their own budget, this many times the messages' one.
PRESS_FACTOR = 3


class FloodGuard:
    """Counts a person's messages (edits too) and, apart, their button presses in the current
    minute; says when they go over the limit.

    A window start and a count per person and kind (not a list of timestamps): with 100,000
    people known this stays a few megabytes.
    """

    def __init__(self, limit_per_minute: int) -> None:
        self.limit = limit_per_minute
        self.press_limit = max(60, PRESS_FACTOR * limit_per_minute)
        self._windows: dict[tuple[int, bool], tuple[float, int]] = {}

    def __len__(self) -> int:
        """Windows held (people × kind): what the memory benchmark reports."""
        return len(self._windows)

    def hit(self, user_id: int, now: float | None = None, *, press: bool = False) -> int:
        """Record one message (or press); return how many the person sent in this minute."""
        now = time.monotonic() if now is None else now
        key = (user_id, press)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= 60:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if len(self._windows) > 50_000:  # forget people whose minute is over
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 60}
        return count

    def over(self, count: int, *, press: bool = False) -> bool:
        return count > (self.press_limit if press else self.limit)

    def first_over(self, count: int, *, press: bool = False) -> bool:
        """Only the first message over the limit gets the polite notice; the rest are dropped."""
        return count == (self.press_limit if press else self.limit) + 1
