"""The durable inbox: raw updates, stored before Telegram is told they arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.timefmt import to_db


@dataclass(frozen=True)
class InboxRow:
    update_id: int
    lane: str
    payload: str


class InboxRepo:
    """Insert-once storage of updates and their processing state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, rows: list[InboxRow], now: datetime) -> list[InboxRow]:
        """Store new updates in one transaction; return only those not seen before."""
        if not rows:
            return []
        fresh: list[InboxRow] = []
        async with self.db.transaction() as conn:
            cur = await conn.execute("SELECT value FROM meta WHERE key = 'inbox_floor'")
            floor_row = await cur.fetchone()
            floor = int(floor_row[0]) if floor_row else 0
            for row in rows:
                if row.update_id <= floor:
                    continue  # handled long ago and pruned: a replay
                cur = await conn.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, lane, payload, received_at)"
                    " VALUES (?, ?, ?, ?)",
                    (row.update_id, row.lane, row.payload, to_db(now)),
                )
                if cur.rowcount:
                    fresh.append(row)
        return fresh

    async def next_offset(self) -> int:
        """The getUpdates offset that confirms everything already stored."""
        row = await self.db.fetchone(
            "SELECT MAX(m) AS m FROM (SELECT MAX(update_id) AS m FROM inbox"
            " UNION ALL SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'inbox_floor')"
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
        """Handled: erase the payload (it holds what the person wrote), keep the id for dedupe."""
        await self.db.execute(
            "UPDATE inbox SET status = 'done', payload = NULL, attempts = attempts + 1,"
            " finished_at = ? WHERE update_id = ?",
            (to_db(now), update_id),
        )

    async def mark_failed(self, update_id: int, error: str, now: datetime) -> None:
        """A handler raised: keep the error class and message, never the update's text."""
        await self.db.execute(
            "UPDATE inbox SET status = 'failed', payload = NULL, attempts = attempts + 1,"
            " error = ?, finished_at = ? WHERE update_id = ?",
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
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT MAX(update_id) FROM inbox WHERE status != 'pending' AND finished_at < ?",
                (to_db(before),),
            )
            row = await cur.fetchone()
            if not row or row[0] is None:
                return 0
            top = int(row[0])
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('inbox_floor', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), excluded.value)",
                (str(top),),
            )
            cur = await conn.execute(
                "DELETE FROM inbox WHERE status != 'pending' AND update_id <= ?", (top,)
            )
            return cur.rowcount
