"""Small facts that must survive restarts and be shared by every instance: a team's topic id,
a canned reply already sent from a preview, the content generation, the pruning floor."""

from __future__ import annotations

from bot.storage.sql import Executor


class MetaRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def put(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def put_once(self, key: str, value: str) -> bool:
        """Store the fact unless it is there already; True if this call stored it (a latch:
        two instances, or a double tap, cannot both win)."""
        return bool(
            await self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, value),
            )
        )

    async def forget_prefix(self, prefix: str) -> int:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await self.db.execute(
            "DELETE FROM meta WHERE key LIKE ? ESCAPE '\\'", (escaped + "%",)
        )

    async def bump(self, key: str) -> int:
        """Add one to a counter (created at 1) and return it."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                f"SELECT value FROM meta WHERE key = ?{tx.dialect.for_update}", (key,)
            )
            value = int(row["value"]) + 1 if row else 1
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )
        return value
