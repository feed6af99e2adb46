"""How long the event loop was held by one callback: the worst block while watching.

Every task step and callback the loop runs is an `asyncio.Handle`; timing `Handle._run`
measures each uninterrupted stretch of work exactly, with no sampling. Garbage-collector
pauses inside a step are timed too (`gc.callbacks`), so a long step can be told apart from a
long collection that happened to land in it. For tests and benchmarks only: it patches
asyncio for the whole process while active.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
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
    worst_block_gc: float = 0.0  # collector time inside the worst block
    count_over: int = 0
    blocks: int = 0
    gc_longest: float = 0.0  # the longest single collection while watching
    gc_longest_generation: int = -1
    gc_total: float = 0.0  # all collections while watching
    gc_count: int = 0
    # The five longest steps as (seconds, what, of which GC): a heap, smallest first.
    top: list[tuple[float, str, float]] = field(default_factory=list)
    _gc_in_step: float = 0.0
    _gc_started: float = 0.0

    def reset(self) -> None:
        self.worst, self.worst_what, self.worst_block_gc = 0.0, "", 0.0
        self.count_over = self.blocks = 0
        self.gc_longest, self.gc_longest_generation = 0.0, -1
        self.gc_total, self.gc_count = 0.0, 0
        self.top.clear()

    def _seen(self, seconds: float, handle: Any) -> None:
        self.blocks += 1
        in_gc, self._gc_in_step = self._gc_in_step, 0.0
        if seconds > self.over:
            self.count_over += 1
        if seconds > self.worst:
            self.worst = seconds
            self.worst_what = _describe(handle)
            self.worst_block_gc = in_gc
        if len(self.top) < 5 or seconds > self.top[0][0]:
            entry = (seconds, _describe(handle), in_gc)
            if len(self.top) < 5:
                heapq.heappush(self.top, entry)
            else:
                heapq.heapreplace(self.top, entry)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_started
        self._gc_in_step += took
        self.gc_total += took
        self.gc_count += 1
        if took > self.gc_longest:
            self.gc_longest, self.gc_longest_generation = took, int(info.get("generation", -1))

    def worst_steps(self) -> list[tuple[float, str, float]]:
        """The five longest steps, longest first: (seconds, what, of which GC seconds)."""
        return sorted(self.top, reverse=True)


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
    gc.callbacks.append(watch._gc)
    try:
        yield watch
    finally:
        gc.callbacks.remove(watch._gc)
        asyncio.events.Handle._run = original  # type: ignore[method-assign]
