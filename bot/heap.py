"""Keep the garbage collector's full collections short while the bot serves.

The loaded pack (answers, catalogs, the search and typo indexes) is a few hundred thousand
long-lived objects. CPython's full collection walks all of them: measured on the shipped pack,
one such collection held the event loop for 80 ms in the middle of an update (bench, hostile
row: the only event-loop step over 20 ms in the run). `gc.freeze()` moves everything alive into
a permanent generation that collections skip, so later collections walk only what updates
allocate. Reference counting still frees frozen objects that become unreachable, so a replaced
pack is released as long as it holds no reference cycles; the next settle unfreezes first so
that cycles are collected too.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once (everything frozen before included), then freeze what is alive now."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
