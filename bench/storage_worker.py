"""One storage measurement in a fresh process, so its peak RSS is its own; prints one JSON line.

python -m bench.storage_worker queue DB REPEATS
python -m bench.storage_worker report-list|report-stream DB
python -m bench.storage_worker export-list|export-stream DB OUT
python -m bench.storage_worker people API_URL TOKEN PEOPLE REAL_FROM REAL_COUNT WORKDIR
"""

from __future__ import annotations

import asyncio
import json
import queue
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bench.common import peak_rss_bytes
from bot.cases.model import CaseRecord
from bot.cases.report import build_report, write_csv
from bot.storage import open_store
from bot.storage.cases import CasesRepo

T = TypeVar("T")


def current_rss() -> int:
    """Resident set now (VmRSS), as opposed to the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def stream_into(
    records: AsyncIterator[CaseRecord],
    consume: Callable[[Iterable[CaseRecord]], T],
    batch: int = 5000,
) -> T:
    """Feed an async stream of records to a one-pass sync consumer (build_report, write_csv)."""
    # The consumer runs in a worker thread over a bounded queue of batches, so memory stays
    # at a few batches and the event loop only fetches: the streaming path /report and
    # `bot export` could use instead of collecting every record in a list first.
    chunks: queue.Queue[list[CaseRecord] | None] = queue.Queue(maxsize=4)

    def items() -> Iterator[CaseRecord]:
        while (chunk := chunks.get()) is not None:
            yield from chunk

    consumer = asyncio.ensure_future(asyncio.to_thread(lambda: consume(items())))
    chunk: list[CaseRecord] = []
    try:
        async for record in records:
            chunk.append(record)
            if len(chunk) >= batch:
                if consumer.done():
                    break  # the consumer failed: its exception is raised below
                await asyncio.to_thread(chunks.put, chunk)
                chunk = []
        if chunk and not consumer.done():
            await asyncio.to_thread(chunks.put, chunk)
    finally:
        if not consumer.done():
            await asyncio.to_thread(chunks.put, None)
    return await consumer


async def _queue_ops(db_path: Path, repeats: int) -> dict[str, Any]:
    store = await open_store(db_path)
    db = store.executor
    repo = store.cases
    top = await db.fetchone("SELECT MAX(id) AS m FROM cases")
    max_id = int(top["m"]) if top and top["m"] else 1
    rng = random.Random(3)
    out: dict[str, list[float]] = {"queue": [], "mine": [], "count_open": [], "get": [], "find": []}
    caseworkers = [
        r["assignee_id"]
        for r in await db.fetchall(
            "SELECT DISTINCT assignee_id FROM cases WHERE assignee_id IS NOT NULL LIMIT 12"
        )
    ]

    async def timed(name: str, call: Callable[[], Awaitable[Any]]) -> None:
        t = time.perf_counter()
        await call()
        out[name].append(time.perf_counter() - t)

    # Interleaved as a desk would issue them, so no operation runs only on a hot cache.
    for i in range(repeats):
        await timed("queue", partial(repo.queue, 25))
        await timed("count_open", repo.count_open)
        if caseworkers:
            cw = caseworkers[i % len(caseworkers)]
            await timed("mine", partial(repo.queue, 25, assignee_id=cw))
        for _ in range(5):
            await timed("get", partial(repo.get, rng.randint(1, max_id)))
    # /find scans descriptions with LIKE: a few runs are enough to show its order of magnitude.
    for word in ("passport", "xyzzy", "urgent appointment"):
        await timed("find", partial(repo.find, word))
    open_count = await repo.count_open()
    checked, equal = await _check_fast_path(repo)
    await store.close()
    return {"times": out, "open": open_count, "fast_checked": checked, "fast_equal": equal}


async def _check_fast_path(repo: CasesRepo, limit: int = 20_000) -> tuple[int, bool]:
    """Whether iter_records_fast yields what iter_records does (first cases, last 30 days)."""
    from datetime import timedelta

    from bench.cases_data import NOW

    async def head(records: AsyncIterator[CaseRecord]) -> list[CaseRecord]:
        out = []
        async for record in records:
            out.append(record)
            if len(out) >= limit:
                break
        return out

    start, end = NOW - timedelta(days=30), NOW
    slow = await head(repo.iter_records()) + await head(repo.iter_records(start, end))
    fast = await head(repo.iter_records_fast()) + await head(repo.iter_records_fast(start, end))
    return len(slow), slow == fast


async def _whole_table(op: str, db_path: Path, out_path: Path | None) -> dict[str, Any]:
    store = await open_store(db_path)
    repo = store.cases
    rss0 = current_rss()
    t0 = time.perf_counter()
    rows = 0
    if op == "report-list":
        # What /report does today: every record in a list, then build_report.
        records = [r async for r in repo.iter_records()]
        report = build_report(records)
        rows = report.cases
    elif op == "report-stream":
        report = await stream_into(repo.iter_records_fast(), build_report)
        rows = report.cases
    elif op in ("export-list", "export-stream"):
        assert out_path is not None
        with out_path.open("w", encoding="utf-8", newline="") as fh:
            if op == "export-list":
                # What `bot export cases` does today.
                records = [r async for r in repo.iter_records()]
                rows = write_csv(records, fh)
            else:
                rows = await stream_into(repo.iter_records_fast(), lambda rs: write_csv(rs, fh))
    seconds = time.perf_counter() - t0
    await store.close()
    return {"seconds": seconds, "rows": rows, "rss_before": rss0, "peak_rss": peak_rss_bytes()}


def _seed_people(path: Path, count: int) -> None:
    """The people table as 100k known people leave it: created with plain SQL, in bulk."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from bench.queries import LANGUAGES
    from bot.storage.timefmt import to_db

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    now = datetime.now(UTC)
    rows = []
    for k in range(count):
        first = to_db(now - timedelta(days=(k % 365)))
        last = to_db(now - timedelta(minutes=(k % 5)))  # active: touch needs no write
        rows.append((500_000_000 + k, LANGUAGES[k % 5], 1, None, 1, first, last))
    conn.executemany(
        "INSERT INTO people (user_id, language, language_chosen, audience, audience_asked,"
        " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.close()


async def _people(
    api_url: str, token: str, people: int, real_from: int, real_count: int, workdir: Path
) -> dict[str, Any]:
    """Start the real runtime with `people` people known, touch them all, measure the RSS."""
    import httpx

    from bench.botproc import BotSpec, full_settings
    from bot.app import BotRuntime

    spec = BotSpec("full", api_url, token, str(workdir))
    settings = full_settings(spec)
    synthetic = people - real_count
    await (await open_store(settings.database_path)).close()  # schema via migrations
    _seed_people(settings.database_path, synthetic)
    runtime = BotRuntime(settings)
    await runtime.start()
    services = runtime.services
    assert services is not None and runtime.dispatcher is not None
    stages = {"started": current_rss()}
    t0 = time.perf_counter()
    now = services.clock.now()
    # Flood-window timestamps as if these people wrote at 1,000 a minute (100k over 100
    # minutes, ending now): the window then holds what it would hold in real use.
    spacing = 0.06
    clock0 = time.monotonic() - synthetic * spacing
    for k in range(synthetic):
        uid = 500_000_000 + k
        # What resolve_person does for each private message: the stored person (read; no
        # write while last_seen is recent) and the in-memory flood window.
        await services.people.touch(uid, now)
        services.flood.hit(uid, clock0 + k * spacing)
    touch_seconds = time.perf_counter() - t0
    stages["touched"] = current_rss()
    # A sample of people through the whole pipeline (poller, inbox, PTB, handlers, outbox):
    # whatever the bot keeps per person beyond the two structures above shows up here.
    control = api_url.rsplit("/bot", 1)[0] + "/_emu/message"
    async with httpx.AsyncClient() as client:
        for uid in range(real_from, real_from + real_count):
            response = await client.post(control, json={"user_id": uid, "text": "/start"})
            response.raise_for_status()
    deadline = time.monotonic() + 300
    while runtime.dispatcher.processed + runtime.dispatcher.failed < real_count:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    stages["real"] = current_rss()
    known = await services.people.count()
    result = {
        "people": known,
        "real": runtime.dispatcher.processed,
        "failed": runtime.dispatcher.failed,
        "touch_seconds": touch_seconds,
        "stages": stages,
        "peak_rss": peak_rss_bytes(),
        "flood_entries": len(services.flood),
    }
    await runtime.stop()
    return result


def main(argv: list[str]) -> None:
    op = argv[0]
    if op == "queue":
        result = asyncio.run(_queue_ops(Path(argv[1]), int(argv[2])))
    elif op in ("report-list", "report-stream"):
        result = asyncio.run(_whole_table(op, Path(argv[1]), None))
    elif op in ("export-list", "export-stream"):
        result = asyncio.run(_whole_table(op, Path(argv[1]), Path(argv[2])))
    elif op == "people":
        result = asyncio.run(
            _people(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]), Path(argv[6]))
        )
    else:
        raise SystemExit(f"unknown op {op!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
