"""The bot under test, in a process of its own: the full bot (BotRuntime) or a bare PTB echo bot.

The bot gets its own process so that the emulator's and the simulated people's CPU is not
charged to it (both would otherwise share one event loop and one GIL with the bot). Inside
that process the real `BotRuntime` is built exactly as tests/e2e/harness.py builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import logging
import multiprocessing
import pstats
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.common import ROOT, cpu_seconds, peak_rss_bytes


@dataclass(frozen=True)
class BotSpec:
    """What to run and where its Bot API is."""

    kind: str  # "full" (BotRuntime), "echo" (bare PTB Application), "echo-concurrent"
    base_url: str
    token: str
    workdir: str
    profile_path: str | None = None
    # What-if switches applied inside the child only (see apply_experiments).
    experiments: tuple[str, ...] = ()
    # Settings beyond the shipped defaults, as env vars (what-if rows only).
    env: tuple[tuple[str, str], ...] = ()
    # Time every event-loop step in the child (bot.sandbox.loopwatch) and report the worst.
    watch_loop: bool = False


@dataclass
class BotStats:
    """What the bot process reports after it was told to stop."""

    cpu_seconds: float = 0.0  # between "ready" and "stop" (all threads: loop + SQLite)
    wall_seconds: float = 0.0
    handled: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    peak_rss: int = 0
    worst_block: float = 0.0  # longest single event-loop step (watch_loop runs only)
    worst_block_what: str = ""
    blocks_over_20ms: int = 0
    worst_block_gc: float = 0.0  # garbage-collector time inside the worst step
    worst_gc_pause: float = 0.0  # the longest single collection
    worst_steps: list[tuple[float, str, float]] = field(default_factory=list)
    gc_seconds: float = 0.0  # all garbage collection while watched


class _ErrorCounter(logging.Handler):
    """Keeps the first few error log lines so the parent can report failed updates."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < 20:
            self.lines.append(f"{record.name}: {record.getMessage()}"[:300])


def full_settings(spec: BotSpec) -> Any:
    """What `python -m bot run` does with only BOT_TOKEN set, pointed at the emulator.

    BOT_API_URL, DATABASE_URL and CONTENT_DIR say where things are (the emulator, a
    temporary database, this checkout's pack); every behaviour setting keeps its default.
    """
    from bot.config import load_settings

    env = {
        "BOT_TOKEN": spec.token,
        "BOT_API_URL": spec.base_url,
        "DATABASE_URL": f"sqlite:///{Path(spec.workdir) / 'bench.db'}",
        "CONTENT_DIR": str(ROOT / "content"),
        **dict(spec.env),
    }
    return load_settings(env)


async def _run_full(
    spec: BotSpec, started: asyncio.Event, stop: asyncio.Event, stats: BotStats
) -> None:
    from bot.app import BotRuntime

    runtime = BotRuntime(full_settings(spec))
    await runtime.start()
    started.set()
    try:
        await stop.wait()
    finally:
        assert runtime.dispatcher is not None
        stats.handled = runtime.dispatcher.processed
        stats.failed = runtime.dispatcher.failed
        await runtime.stop()


async def _run_echo(
    spec: BotSpec, started: asyncio.Event, stop: asyncio.Event, stats: BotStats
) -> None:
    """The baseline: PTB's Application with its default Updater polling and default settings."""
    from telegram import Update
    from telegram.error import BadRequest
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)
        stats.handled += 1

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        with contextlib.suppress(BadRequest):  # too late for Telegram: the emulator counts it
            await update.callback_query.answer()
        stats.handled += 1

    builder = Application.builder().token(spec.token).base_url(spec.base_url)
    if spec.kind == "echo-concurrent":  # what-if: PTB's own floor with updates run at once
        builder = builder.concurrent_updates(True)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling()
    await app.start()
    started.set()
    try:
        await stop.wait()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


EXPERIMENTS = {
    "sync-normal": "SQLite synchronous=NORMAL instead of FULL (WAL: no fsync per commit)",
    "sniffio": "a stand-in sniffio module, so httpcore stops retrying a failing import per request",
}


def what_ifs() -> tuple[str, ...]:
    """The experiments still worth running against the code as it is now."""
    import importlib.util

    names = ["sync-normal"]
    if importlib.util.find_spec("sniffio") is None:  # a dependency since a56aad8
        names.insert(0, "sniffio")
    return tuple(names)


def apply_experiments(names: tuple[str, ...]) -> None:
    """Patch the child for a what-if run; never used for the headline figures."""
    import os
    import sys

    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    if "sniffio" in names:
        import sys
        import types

        shim = types.ModuleType("sniffio")
        shim.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
        sys.modules["sniffio"] = shim
    if "sync-normal" in names:
        from bot.storage.sqlite import SqliteDriver

        original = SqliteDriver.open.__func__  # type: ignore[attr-defined]

        async def open_normal(cls: type[SqliteDriver], path: Path) -> SqliteDriver:
            db = await original(cls, path)
            await db.conn.execute("PRAGMA synchronous=NORMAL")
            return db

        SqliteDriver.open = classmethod(open_normal)  # type: ignore[method-assign, assignment]


async def _child(spec: BotSpec, conn: Connection) -> None:
    apply_experiments(spec.experiments)
    # Log records are collected for the report, not printed over the results table.
    errors = _ErrorCounter()
    root = logging.getLogger()
    root.handlers[:] = [errors]
    # The shipped log level (INFO), as `python -m bot run` sets it; records are counted only.
    from bot.logging_setup import setup_logging

    setup_logging(full_settings(spec).log_level if spec.kind == "full" else "WARNING")
    root.handlers[:] = [errors]
    stats = BotStats()
    started, stop = asyncio.Event(), asyncio.Event()
    run = _run_full if spec.kind == "full" else _run_echo
    task = asyncio.create_task(run(spec, started, stop, stats))
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        conn.send(("error", repr(task.exception())))
        return
    profiler = cProfile.Profile() if spec.profile_path else None
    cpu0, t0 = cpu_seconds(), time.monotonic()
    if profiler is not None:
        profiler.enable()
    from bot.sandbox.loopwatch import watch_loop

    with watch_loop() if spec.watch_loop else contextlib.nullcontext() as loop:
        conn.send(("ready", None))
        # The parent's "stop" arrives on a pipe; a thread waits for it so the loop stays free.
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    if loop is not None:
        stats.worst_block, stats.worst_block_what = loop.worst, loop.worst_what
        stats.blocks_over_20ms = loop.count_over
        stats.worst_block_gc, stats.worst_gc_pause = loop.worst_block_gc, loop.gc_longest
        stats.worst_steps = loop.worst_steps()
        stats.gc_seconds = loop.gc_total
    if profiler is not None:
        profiler.disable()
    stats.cpu_seconds = cpu_seconds() - cpu0
    stats.wall_seconds = time.monotonic() - t0
    stop.set()
    await task
    stats.errors = errors.lines
    stats.peak_rss = peak_rss_bytes()
    if profiler is not None and spec.profile_path:
        _write_profile(profiler, spec.profile_path)
    conn.send(("stats", stats))


def _write_profile(profiler: cProfile.Profile, path: str) -> None:
    out = io.StringIO()
    for key in ("tottime", "cumulative"):
        out.write(f"==== sorted by {key} ====\n")
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(45)
    Path(path).write_text(out.getvalue())


def child_main(spec: BotSpec, conn: Connection) -> None:
    """Process entry point."""
    asyncio.run(_child(spec, conn))


class BotProcess:
    """Start the bot in a child process, wait until it polls, stop it and collect its stats."""

    def __init__(self, spec: BotSpec) -> None:
        self.spec = spec
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=child_main, args=(spec, child_conn), daemon=True)

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109 - a start-up bound
        self._proc.start()
        kind, payload = await asyncio.wait_for(self._recv(), timeout)
        if kind != "ready":
            raise RuntimeError(f"the {self.spec.kind} bot did not start: {payload}")

    async def _recv(self) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        result: tuple[str, Any] = await loop.run_in_executor(None, self._conn.recv)
        return result

    async def stop(self) -> BotStats:
        self._conn.send("stop")
        kind, payload = await asyncio.wait_for(self._recv(), 60)
        await asyncio.get_running_loop().run_in_executor(None, self._proc.join, 30)
        if kind != "stats":
            raise RuntimeError(f"the {self.spec.kind} bot failed: {payload}")
        stats: BotStats = payload
        return stats

    def kill(self) -> None:
        """Last resort after an error in the parent: end our own child (by its handle)."""
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)


class BotGroup:
    """Several bot processes (instances on one PostgreSQL), started and stopped together;
    their stats are summed (CPU, updates) or maxed (wall, memory, loop blocks)."""

    def __init__(self, specs: list[BotSpec]) -> None:
        self.procs = [BotProcess(spec) for spec in specs]

    async def start(self, timeout: float = 120.0) -> None:  # noqa: ASYNC109 - a start-up bound
        await asyncio.gather(*(p.start(timeout) for p in self.procs))

    async def stop(self) -> BotStats:
        parts = await asyncio.gather(*(p.stop() for p in self.procs))
        total = BotStats()
        for part in parts:
            total.cpu_seconds += part.cpu_seconds
            total.wall_seconds = max(total.wall_seconds, part.wall_seconds)
            total.handled += part.handled
            total.failed += part.failed
            total.errors += part.errors
            total.peak_rss = max(total.peak_rss, part.peak_rss)
            if part.worst_block > total.worst_block:
                total.worst_block, total.worst_block_what = part.worst_block, part.worst_block_what
                total.worst_block_gc = part.worst_block_gc
            total.worst_gc_pause = max(total.worst_gc_pause, part.worst_gc_pause)
            total.worst_steps = sorted(total.worst_steps + part.worst_steps, reverse=True)[:5]
            total.blocks_over_20ms += part.blocks_over_20ms
            total.gc_seconds += part.gc_seconds
        return total

    def kill(self) -> None:
        for p in self.procs:
            p.kill()
