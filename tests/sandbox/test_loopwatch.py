"""The loop watch the benchmarks and bounded-work tests rely on: it times each event-loop
step, keeps the five longest, and tells collector pauses inside a step apart."""

from __future__ import annotations

import asyncio
import gc
import time

from bot.sandbox.loopwatch import watch_loop


async def _hold(seconds: float) -> None:
    time.sleep(seconds)  # noqa: ASYNC251 - a step that holds the loop on purpose


async def _collect() -> None:
    garbage = []
    for _ in range(2_000):  # reference cycles, so the collection has work to do
        node: list[object] = []
        node.append(node)
        garbage.append(node)
    del garbage, node
    gc.collect(0)  # the young generation: where the fresh cycles are


async def test_the_longest_steps_are_kept_longest_first() -> None:
    with watch_loop(over=0.020) as watch:
        await asyncio.create_task(_hold(0.100), name="holder")
        for i in range(7):
            await asyncio.create_task(_hold(0.001), name=f"short{i}")
    assert watch.count_over >= 1
    assert watch.worst >= 0.100 and "holder" in watch.worst_what
    assert watch.worst_block_gc == 0.0  # a sleep, not the collector
    steps = watch.worst_steps()
    assert len(steps) == 5 and "holder" in steps[0][1]
    assert [s for s, _, _ in steps] == sorted((s for s, _, _ in steps), reverse=True)


async def test_collector_time_is_counted_inside_the_step_that_paid_it() -> None:
    with watch_loop() as watch:
        await asyncio.create_task(_collect(), name="collector")
    (collector,) = [step for step in watch.worst_steps() if "collector" in step[1]]
    assert 0 < collector[2] <= collector[0]  # part of that step was the collection
    assert watch.gc_longest > 0 and watch.gc_total >= watch.gc_longest and watch.gc_count >= 1


async def test_nothing_is_patched_after_watching() -> None:
    original = asyncio.events.Handle._run
    callbacks = list(gc.callbacks)
    with watch_loop():
        await asyncio.sleep(0)
    assert asyncio.events.Handle._run is original and gc.callbacks == callbacks
