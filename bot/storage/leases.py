"""Sharing work between several instances on one database: a chat's updates handled by one
instance at a time (lane leases), and scheduled jobs run once per schedule.

Times are the instances' clocks as Unix seconds; a lease outlives a dead instance by at most
its length, after which another instance takes the chat over.
"""

from __future__ import annotations

from bot.storage.inbox import InboxRow
from bot.storage.sql import Executor


class LeaseRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def claim_lanes(
        self, owner: str, now: float, lease: float, limit: int = 200
    ) -> list[str]:
        """Lanes with waiting updates that are free, expired, or ours already; now ours until
        now + lease. Oldest waiting first."""
        rows = await self.db.fetchall(
            "INSERT INTO lane_leases (lane, owner, until)"
            " SELECT lane, CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION) FROM inbox"
            " WHERE status = 'pending' AND lane != '' GROUP BY lane ORDER BY MIN(update_id) LIMIT ?"
            " ON CONFLICT (lane) DO UPDATE SET owner = excluded.owner, until = excluded.until"
            " WHERE lane_leases.until < ? OR lane_leases.owner = excluded.owner"
            " RETURNING lane",
            (owner, now + lease, limit, now),
        )
        return [str(r["lane"]) for r in rows]

    async def renew(self, owner: str, lanes: list[str], until: float) -> int:
        if not lanes:
            return 0
        marks = ", ".join("?" * len(lanes))
        return await self.db.execute(
            f"UPDATE lane_leases SET until = ? WHERE owner = ? AND lane IN ({marks})",
            (until, owner, *lanes),
        )

    async def release(self, owner: str, lanes: list[str]) -> None:
        if not lanes:
            return
        marks = ", ".join("?" * len(lanes))
        await self.db.execute(
            f"DELETE FROM lane_leases WHERE owner = ? AND lane IN ({marks})", (owner, *lanes)
        )

    async def release_all(self, owner: str) -> None:
        await self.db.execute("DELETE FROM lane_leases WHERE owner = ?", (owner,))

    async def pending_in(self, lanes: list[str]) -> list[InboxRow]:
        """The waiting updates of these lanes, oldest first."""
        if not lanes:
            return []
        marks = ", ".join("?" * len(lanes))
        rows = await self.db.fetchall(
            "SELECT update_id, lane, payload FROM inbox"
            f" WHERE status = 'pending' AND lane IN ({marks}) ORDER BY update_id",
            tuple(lanes),
        )
        return [InboxRow(int(r["update_id"]), str(r["lane"]), r["payload"] or "{}") for r in rows]

    async def take_job(self, name: str, now: float, every: float) -> bool:
        """Whether this instance runs job `name` now: at most once per `every` seconds across
        all instances (the first to ask after the interval wins)."""
        await self.db.execute(
            "INSERT INTO jobs (name, last_run) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", (name,)
        )
        return bool(
            await self.db.execute(
                "UPDATE jobs SET last_run = ? WHERE name = ? AND last_run <= ?",
                (now, name, now - every),
            )
        )
