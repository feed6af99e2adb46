"""How long the event loop was held by one callback: the worst block while watching.

Every task step and callback the loop runs is an `asyncio.Handle`; timing `Handle._run`
measures each uninterrupted stretch of work exactly, with no sampling. For tests and
benchmarks only: it patches asyncio for the whole process while active.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoopWatch:
    """The longest block seen (seconds) and what it was, plus how many blocks exceeded `over`."""

    over: float = 0.020
    worst: float = 0.0
    worst_what: str = ""
    count_over: int = 0
    blocks: int = 0
    _marks: list[tuple[str, float]] = field(default_factory=list)

    def reset(self) -> None:
        self.worst, self.worst_what, self.count_over, self.blocks = 0.0, "", 0, 0

    def _seen(self, seconds: float, handle: Any) -> None:
        self.blocks += 1
        if seconds > self.over:
            self.count_over += 1
        if seconds > self.worst:
            self.worst = seconds
            self.worst_what = _describe(handle)


def _describe(handle: Any) -> str:
    """The coroutine a task step ran (or the plain callback), for the report."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        name = getattr(coro, "__qualname__", repr(coro))
        return f"task {task.get_name()}: {name}" + (f" (line {frame.f_lineno})" if frame else "")
    return getattr(callback, "__qualname__", None) or repr(callback)[:120]


@contextmanager
def watch_loop(over: float = 0.020) -> Iterator[LoopWatch]:
    """Measure every event-loop step while the block runs (nesting is not supported)."""
    watch = LoopWatch(over=over)
    original = asyncio.events.Handle._run
    perf = time.perf_counter

    def timed_run(self: asyncio.Handle) -> None:
        started = perf()
        try:
            original(self)
        finally:
            watch._seen(perf() - started, self)

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
    try:
        yield watch
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]
