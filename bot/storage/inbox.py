"""The durable inbox: raw updates, stored before Telegram is told they arrived."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.storage.sql import Executor
from bot.storage.timefmt import to_db


@dataclass(frozen=True)
class InboxRow:
    update_id: int
    lane: str
    payload: str
    # The update as parsed when it was fetched (not stored): saves parsing it again.
    parsed: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass
class _DoneBatch:
    ids: list[int] = field(default_factory=list)
    finished_at: datetime | None = None
    written: asyncio.Future[None] | None = None


class InboxRepo:
    """Insert-once storage of updates and their processing state."""

    def __init__(self, db: Executor) -> None:
        self.db = db
        self._open_batch: _DoneBatch | None = None
        self._writer: asyncio.Task[None] | None = None

    async def add(self, rows: list[InboxRow], now: datetime) -> list[InboxRow]:
        """Store new updates in one transaction; return only those not seen before."""
        if not rows:
            return []
        # One statement, so one commit and one trip to the database for the whole batch;
        # ids at or below the pruning floor are replays of updates handled long ago.
        received = to_db(now)
        params = [v for r in rows for v in (r.update_id, r.lane, r.payload, received)]
        if self.db.dialect.name == "postgres":
            values = ", ".join("(?::bigint, ?::text, ?::text, ?::text)" for _ in rows)
            source = f"(VALUES {values}) AS v(column1, column2, column3, column4)"
        else:
            source = "(VALUES " + ", ".join("(?, ?, ?, ?)" for _ in rows) + ")"
        inserted = await self.db.fetchall(
            "INSERT INTO inbox (update_id, lane, payload, received_at)"
            f" SELECT column1, column2, column3, column4 FROM {source}"
            " WHERE column1 > COALESCE("
            "  (SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'inbox_floor'), 0)"
            " ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            params,
        )
        fresh_ids = {int(r[0]) for r in inserted}
        return [row for row in rows if row.update_id in fresh_ids]

    async def next_offset(self) -> int:
        """The getUpdates offset that confirms everything already stored."""
        row = await self.db.fetchone(
            "SELECT MAX(m) AS m FROM (SELECT MAX(update_id) AS m FROM inbox"
            " UNION ALL SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'inbox_floor')"
            " AS highest"
        )
        highest = row["m"] if row and row["m"] is not None else None
        return int(highest) + 1 if highest is not None else 0

    async def unfinished(self) -> list[InboxRow]:
        """Updates stored but not yet handled (e.g. the process died), oldest first."""
        rows = await self.db.fetchall(
            "SELECT update_id, lane, payload FROM inbox WHERE status = 'pending' ORDER BY update_id"
        )
        return [InboxRow(r["update_id"], r["lane"], r["payload"] or "{}") for r in rows]

    async def mark_done(self, update_id: int, now: datetime) -> None:
        """Handled: erase the payload (it holds what the person wrote) and the lane (it names
        the chat), keep the id for dedupe.

        Returns once the mark is committed. Handlers that finish while a commit is being
        written share the next one (group commit): under load one commit carries many marks,
        and no mark waits longer than the commit before it.
        """
        batch = self._open_batch
        if batch is None:
            batch = self._open_batch = _DoneBatch(
                written=asyncio.get_running_loop().create_future()
            )
        batch.ids.append(update_id)
        batch.finished_at = now if batch.finished_at is None else max(batch.finished_at, now)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_done_batches(), name="inbox-done")
        assert batch.written is not None
        await asyncio.shield(batch.written)

    async def _write_done_batches(self) -> None:
        while self._open_batch is not None:
            batch, self._open_batch = self._open_batch, None
            assert batch.written is not None
            marks = ", ".join("?" * len(batch.ids))
            try:
                # One statement (one commit, one trip to SQLite's thread) for the batch; it
                # carries the batch's latest finishing time (they differ by milliseconds).
                await self.db.execute(
                    "UPDATE inbox SET status = 'done', payload = NULL, lane = '',"
                    f" attempts = attempts + 1, finished_at = ? WHERE update_id IN ({marks})",
                    (to_db(batch.finished_at or datetime.now(UTC)), *batch.ids),
                )
            except asyncio.CancelledError:
                batch.written.cancel()
                raise
            except Exception as exc:  # each waiting handler sees it and retries its own mark
                batch.written.set_exception(exc)
            else:
                batch.written.set_result(None)

    async def mark_dropped(self, update_id: int, now: datetime) -> None:
        """A flooding chat's excess: done without handling, its payload erased."""
        await self.db.execute(
            "UPDATE inbox SET status = 'done', payload = NULL, lane = '', error = 'dropped: flood',"
            " finished_at = ? WHERE update_id = ?",
            (to_db(now), update_id),
        )

    async def mark_failed(self, update_id: int, error: str, now: datetime) -> None:
        """A handler raised: keep the error class and message, never the update's text."""
        await self.db.execute(
            "UPDATE inbox SET status = 'failed', payload = NULL, lane = '',"
            " attempts = attempts + 1, error = ?, finished_at = ? WHERE update_id = ?",
            (error[:500], to_db(now), update_id),
        )

    async def status(self, update_id: int) -> str | None:
        row = await self.db.fetchone("SELECT status FROM inbox WHERE update_id = ?", (update_id,))
        return str(row["status"]) if row else None

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM inbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    async def prune(self, before: datetime) -> int:
        """Forget finished rows older than `before`, remembering the highest id as a floor."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT MAX(update_id) AS top FROM inbox"
                " WHERE status != 'pending' AND finished_at < ?",
                (to_db(before),),
            )
            if not row or row["top"] is None:
                return 0
            top = int(row["top"])
            floor = tx.dialect.max_of(
                "CAST(meta.value AS BIGINT)", "CAST(excluded.value AS BIGINT)"
            )
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES ('inbox_floor', ?)"
                f" ON CONFLICT (key) DO UPDATE SET value = CAST({floor} AS TEXT)",
                (str(top),),
            )
            return await tx.execute(
                "DELETE FROM inbox WHERE status != 'pending' AND update_id <= ?", (top,)
            )

    async def pending_lag(self, now: datetime) -> tuple[int, float]:
        """(updates waiting, seconds the oldest has waited): the inbox's lag."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM inbox WHERE status = 'pending'"
        )
        if row is None or not row["n"]:
            return 0, 0.0
        from bot.storage.timefmt import from_db

        oldest = from_db(row["oldest"])
        return int(row["n"]), max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
