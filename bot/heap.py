"""Keep the garbage collector's full collections short while the bot serves.

The loaded pack (answers, catalogs, the search and typo indexes) is a few hundred thousand
long-lived objects. CPython's full collection walks all of them: measured on the shipped pack,
one such collection held the event loop for 80 ms in the middle of an update (bench, hostile
row: the only event-loop step over 20 ms in the run). `gc.freeze()` moves everything alive into
a permanent generation that collections skip, so later collections walk only what updates
allocate. Reference counting still frees frozen objects that become unreachable, so a replaced
pack is released as long as it holds no reference cycles; the next settle unfreezes first so
that cycles are collected too. That one full collection (~50 ms on the shipped pack) runs on the
event loop at start and after a reload, which staff trigger, never after a person's update.
"""

from __future__ import annotations

import gc

# Young-generation collections every 20,000 net allocations instead of CPython's 700: an
# update allocates thousands of short-lived objects (PTB's parsed update, JSON, SQL rows),
# and at 700 the collector ran several times per update to find nothing to free (surge bench:
# 0.9 s of 12 s bot CPU in collections, 0.07 s at 20,000; the worst step did not grow).
YOUNG_THRESHOLD = (20_000, 20, 10)


def settle() -> None:
    """Collect once (everything frozen before included), then freeze what is alive now."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLD)
