"""Synthetic cases with realistic distributions, bulk-inserted with plain SQL.

Shape (three years of a helpdesk, cases numbered in creation order): most old cases are
closed; open cases are the last weeks' intake plus a thin tail of stale ones (about 2% of
all cases open, as a team that keeps up would have). Languages, categories, regions and
household sizes follow the proportions of a returnee/migrant programme in Azerbaijan.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import random
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.cases.model import OUTCOMES, SERVICES, VULNERABILITIES
from bot.storage import open_store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SPAN_DAYS = 3 * 365
CASEWORKERS = tuple(300_000_001 + i for i in range(12))
STAFF_CHAT = -1_001_000_000_001

_WORDS = (
    "passport lost abroad need help registration address residence permit work employer "
    "children school doctor insurance house rent money documents certificate return family "
    "please urgent appointment office migration service card expired renew apply where how"
).split()

_COLUMNS = (
    "user_id, source_update_id, category, language, audience, region, adults, children,"
    " vulnerabilities, description, status, priority, assignee_id, team, staff_chat_id,"
    " thread_id, card_message_id, services, outcome, rating, rating_comment, flow_id,"
    " flow_version, flow_answers, flow_outcome, created_at, first_response_at, resolved_at,"
    " closed_at, reminded_at, escalated_at, updated_at, deleted_at"
)


class Pick:
    """Weighted choice by bisecting cumulative weights (random.choices is slower per call)."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cum = list(itertools.accumulate(w for _, w in weighted))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cum, rng.random() * self.total)]


CATEGORY = Pick([("documents", 35), ("legal", 15), ("employment", 12), ("housing", 12),
                 ("health", 10), ("education", 6), ("other", 10)])  # fmt: skip
LANGUAGE = Pick([("az", 45), ("ru", 30), ("en", 10), ("fa", 8), ("tr", 7)])
AUDIENCE = Pick([("returnee", 50), ("foreign_resident", 25), ("refugee", 10), (None, 15)])
REGION = Pick([("Baku", 40), ("Sumqayit", 8), ("Ganja", 7), ("Lankaran", 4), ("Shaki", 3),
               ("Mingachevir", 3), ("Shirvan", 2), ("Quba", 2), ("Nakhchivan", 2),
               ("Khachmaz", 2), ("Barda", 2), ("Goychay", 1), (None, 24)])  # fmt: skip
ADULTS = Pick([(None, 10), (1, 45), (2, 32), (3, 9), (4, 4)])
CHILDREN = Pick([(None, 10), (0, 40), (1, 20), (2, 17), (3, 9), (4, 4)])
OUTCOME = Pick(list(zip(OUTCOMES, (50, 25, 10, 5, 10), strict=True)))
RATING = Pick([(5, 50), (4, 25), (3, 10), (2, 5), (1, 10)])
CASEWORKER = Pick([(cw, 1 / (i + 1)) for i, cw in enumerate(CASEWORKERS)])
RECENT = Pick([("new", 60), ("in_progress", 35), ("waiting", 5)])
WEEKS = Pick([("new", 4), ("in_progress", 22), ("waiting", 9), ("resolved", 20), ("closed", 45)])
OLD = Pick([("closed", 86), ("resolved", 5), ("deleted", 4.5), ("in_progress", 0.8),
            ("waiting", 0.5), ("new", 0.2)])  # fmt: skip


def _descriptions(rng: random.Random, n: int = 2000) -> list[str]:
    """A pool of descriptions of 12-60 words; drawing from it keeps generation fast."""
    return [" ".join(rng.choices(_WORDS, k=rng.randint(12, 60))) for _ in range(n)]


def _ts(moment: datetime) -> str:
    # Same text as bot.storage.timefmt.to_db for a naive UTC time, ~20x faster than strftime.
    return moment.isoformat(timespec="microseconds") + "Z"


def case_rows(n: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """n case rows in id order, created evenly over SPAN_DAYS up to NOW."""
    rng = random.Random(seed)
    descriptions = _descriptions(rng)
    now = NOW.replace(tzinfo=None)  # naive UTC inside the loop: cheaper arithmetic
    start = now - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / n
    people = max(1, int(n * 0.8))  # some people ask more than once
    for i in range(n):
        created = start + timedelta(seconds=i * step + rng.random() * step)
        age_days = (now - created).total_seconds() / 86400
        status = RECENT(rng) if age_days < 2 else WEEKS(rng) if age_days < 30 else OLD(rng)
        vulns: list[str] = []
        if rng.random() < 0.25:
            vulns = rng.sample(VULNERABILITIES, 1 if rng.random() < 0.8 else 2)
        priority = 0 if vulns else (1 if rng.random() < 0.85 else 2)
        category = CATEGORY(rng)
        assignee = None
        first = resolved = closed = None
        if status != "new":
            assignee = CASEWORKER(rng)
            first = created + timedelta(hours=rng.expovariate(1 / 10))
        elif rng.random() < 0.05:
            assignee = CASEWORKER(rng)
        outcome = services = rating = None
        if status in ("resolved", "closed", "deleted"):
            resolved = (first or created) + timedelta(days=rng.expovariate(1 / 5))
            outcome = OUTCOME(rng)
            if outcome in ("supported", "completed"):
                services = ",".join(sorted(rng.sample(SERVICES, rng.choice((1, 1, 2)))))
            if status == "closed":
                closed = resolved + timedelta(days=rng.expovariate(1 / 2))
                if rng.random() < 0.3:
                    rating = RATING(rng)
        deleted = status == "deleted"
        flow = rng.random() < 0.15
        updated = max(t for t in (created, first, resolved, closed) if t is not None)
        yield (
            None if deleted else 200_000_001 + rng.randrange(people),
            700_000_000 + i,
            category,
            LANGUAGE(rng),
            AUDIENCE(rng),
            REGION(rng),
            ADULTS(rng),
            CHILDREN(rng),
            ",".join(sorted(vulns)),
            None if deleted else descriptions[rng.randrange(len(descriptions))],
            status,
            priority,
            assignee,
            "documents" if category == "documents" else "general",
            STAFF_CHAT,
            10_000 + i,
            20_000 + i,
            services or "",
            outcome,
            rating,
            None,
            "reintegration" if flow else None,
            1 if flow else None,
            json.dumps([["returned", "yes"], ["months", "6"]]) if flow else None,
            "match" if flow else None,
            _ts(created),
            _ts(first) if first else None,
            _ts(resolved) if resolved else None,
            _ts(closed) if closed else None,
            _ts(created + timedelta(hours=4)) if first is None and age_days > 1 else None,
            None,
            _ts(updated),
            _ts(updated) if deleted else None,
        )


def build(path: Path, n: int, seed: int = 1) -> float:
    """Create the schema through open_store (all migrations), then bulk-insert n cases."""
    import time

    async def create() -> None:
        store = await open_store(path)
        await store.close()

    asyncio.run(create())
    t0 = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    # Bulk load only: no fsync per page while filling; the bot's own pragmas apply when it
    # (or the measuring worker) opens the file again.
    conn.execute("PRAGMA synchronous=OFF")
    # Indexes are dropped during the load and rebuilt from their own SQL afterwards (a sort
    # instead of a million random B-tree inserts); the schema ends up exactly as migrated.
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL"
        )
    ]
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL"
        )
    ]
    conn.execute("BEGIN")
    for name in names:
        conn.execute(f'DROP INDEX "{name}"')
    placeholders = ", ".join("?" * len(_COLUMNS.split(",")))
    rows = case_rows(n, seed)
    while chunk := list(itertools.islice(rows, 20_000)):
        conn.executemany(f"INSERT INTO cases ({_COLUMNS}) VALUES ({placeholders})", chunk)
    for sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - t0
