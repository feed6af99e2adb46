"""Benchmark 7: an announcement to many subscribers through the emulator with Telegram-like
limits, while people keep writing to the bot. The bot runs in a process of its own with the
shipped defaults (BROADCAST_PER_SECOND 25, overall pace 30/s); STAFF_CHAT_ID and ADMIN_IDS
say where the staff are."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bench.botproc import BotProcess, BotSpec, BotStats
from bench.common import cpu_seconds
from bench.load import BenchEmulator, Person, Seen

MARKER = "registration at the place of stay"
ANNOUNCEMENT = "registration-reminder"


@dataclass
class AnnounceRun:
    subscribers: int
    cap: float
    delivered: int = 0
    twice: int = 0
    first_t: float = 0.0
    last_t: float = 0.0
    refused: int = 0  # 429s the emulator answered during the run
    reply_latencies: list[float] = field(default_factory=list)
    reply_failures: int = 0
    report: str = ""
    bot: BotStats | None = None
    seed_seconds: float = 0.0
    driver_cpu: float = 0.0

    @property
    def rate(self) -> float:
        span = self.last_t - self.first_t
        return (self.delivered - 1) / span if span > 0 and self.delivered > 1 else float("nan")


async def _create_schema(path: Path) -> None:
    from bot.storage import open_store

    store = await open_store(path)
    await store.close()


def _seed(path: Path, ids: list[int]) -> None:
    """Subscribers as the bot stores them: people who used the bot and chose documents or
    everything, in English (the marker is the English text)."""
    stamp = "2026-12-01T10:00:00.000000Z"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO people (user_id, language, language_chosen, first_seen, last_seen)"
            " VALUES (?, 'en', 1, ?, ?)",
            ((uid, stamp, stamp) for uid in ids),
        )
        conn.executemany(
            "INSERT INTO subscriptions (user_id, topic, language, created_at)"
            " VALUES (?, ?, 'en', ?)",
            ((uid, "documents" if uid % 3 else "*", stamp) for uid in ids),
        )


async def _wait_for(log: list[Seen], bell: asyncio.Event, match: object, timeout: float) -> Seen:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        for seen in reversed(log):
            if match(seen):  # type: ignore[operator]
                return seen
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the staff chat never showed what was expected")
        bell.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bell.wait(), remaining)


async def announce_run(
    subscribers: int, *, writers: int = 20, latency: float = 0.05, think: float = 4.0
) -> AnnounceRun:
    emu = BenchEmulator(latency=latency, rate_limits=True)
    await emu.start()
    run = AnnounceRun(subscribers, 25.0)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-announce-") as workdir:
            t0 = time.monotonic()
            admin = emu.add_user("Admin", language_code="en")
            staff = emu.add_group("Caseworkers", forum=True, members=[], admins=[admin])
            people = [emu.add_user(f"S{i}", language_code="en") for i in range(subscribers)]
            for p in people:
                emu.users[p.user_id].started = True  # they wrote to the bot before
            db = Path(workdir) / "bench.db"
            await _create_schema(db)
            await asyncio.to_thread(_seed, db, [p.user_id for p in people])
            run.seed_seconds = time.monotonic() - t0
            spec = BotSpec(
                "full",
                emu.base_url,
                emu.token,
                workdir,
                env=(("STAFF_CHAT_ID", str(staff.chat_id)), ("ADMIN_IDS", str(admin.user_id))),
            )
            proc = BotProcess(spec)
            await proc.start()
            try:
                from bot.config import Settings

                run.cap = min(Settings().broadcast_per_second, Settings().pace_overall_per_second)
                log, bell = emu.watch(staff.chat_id)
                emu.person_message(admin.user_id, staff.chat_id, text=f"/announce {ANNOUNCEMENT}")
                preview = await _wait_for(
                    log, bell, lambda s: any(d.startswith("an:go:") for d in s.data), 60
                )
                go = next(d for d in preview.data if d.startswith("an:go:"))
                refused0, cpu0 = emu.rate_limited, cpu_seconds()
                emu.person_press(admin.user_id, staff.chat_id, preview.message_id, go)
                done = asyncio.Event()
                crowd = [
                    Person(emu, emu.add_user(f"W{i}", language_code="en").user_id, True)
                    for i in range(writers)
                ]

                async def writer(person: Person, rng: random.Random) -> None:
                    await person.text("/start", "start")
                    while not done.is_set():
                        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                        try:
                            await person.text("/help", "help")
                        except TimeoutError:
                            run.reply_failures += 1

                tasks = [
                    asyncio.create_task(writer(p, random.Random(i))) for i, p in enumerate(crowd)
                ]
                expected = subscribers / run.cap
                report = await _wait_for(
                    log, bell, lambda s: "report" in s.text, expected * 2 + 120
                )
                run.report = report.text
                done.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                run.refused = emu.rate_limited - refused0
                run.driver_cpu = cpu_seconds() - cpu0
                for person in crowd:
                    run.reply_latencies += [
                        s.seconds for s in person.result.samples if s.step == "help"
                    ]
            finally:
                run.bot = await proc.stop()
            times = []
            for p in people:
                chat = emu.chats[p.user_id]
                got = [
                    m.t
                    for m in chat.messages.values()
                    if m.from_id == emu.bot.id and MARKER in (m.text or "")
                ]
                run.twice += len(got) > 1
                times += got
            times.sort()
            run.delivered = len(times)
            if times:
                run.first_t, run.last_t = times[0], times[-1]
    finally:
        await emu.stop()
    return run
