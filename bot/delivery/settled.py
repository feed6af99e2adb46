"""Ids settled while a read of pending rows may have been in flight.

A worker reads "what is pending" while its own tasks finish rows. A read that began before a
row's done-mark was committed can still return the row after the task that finished it has
let go of it, and the row would be handled (or sent) twice. The worker notes each id it
settles; a read drops the ids settled since the read before it began, and once a read has
finished, ids settled before it began are forgotten (every later read sees them settled).
Reads must not overlap (one loop makes them).
"""

from __future__ import annotations


class RecentlySettled:
    def __init__(self) -> None:
        self._reads = 0
        self._settled: dict[int, int] = {}  # id -> reads begun when it was settled

    def settle(self, item_id: int) -> None:
        self._settled[item_id] = self._reads

    def begin_read(self) -> int:
        self._reads += 1
        return self._reads

    def fresh(self, item_id: int) -> bool:
        """Not settled by this worker lately: the read's row is really pending."""
        return item_id not in self._settled

    def end_read(self, read: int) -> None:
        if self._settled:
            self._settled = {i: n for i, n in self._settled.items() if n >= read}

    def __len__(self) -> int:
        return len(self._settled)
