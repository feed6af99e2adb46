"""The one record about a person that outlives their /delete: a keyed hash of their id with
the staff's block and today's request count, so erasing one's data cannot undo a block or
reset the daily limit. It holds no id, no text, nothing that says who the person is."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from bot.storage.sql import Executor


class AbuseRepo:
    """Blocks and daily request counts keyed by HMAC-SHA256(key, user id)."""

    def __init__(self, db: Executor, key: bytes) -> None:
        self.db = db
        self.key = key

    @classmethod
    async def open(cls, db: Executor, configured_key: str = "") -> AbuseRepo:
        """The repo with ABUSE_KEY, or else a random key made at first start and kept in the
        database (then whoever holds the database file can test an id against the hashes)."""
        if configured_key:
            return cls(db, configured_key.encode())
        row = await db.fetchone("SELECT value FROM meta WHERE key = 'abuse_key'")
        if row is None:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES ('abuse_key', ?)"
                " ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = await db.fetchone("SELECT value FROM meta WHERE key = 'abuse_key'")
        assert row is not None
        return cls(db, str(row["value"]).encode())

    def subject(self, user_id: int) -> str:
        return hmac.new(self.key, str(user_id).encode(), hashlib.sha256).hexdigest()

    async def is_blocked(self, user_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT blocked FROM abuse WHERE subject = ?", (self.subject(user_id),)
        )
        return bool(row and row["blocked"])

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.db.execute(
            "INSERT INTO abuse (subject, blocked) VALUES (?, ?)"
            " ON CONFLICT (subject) DO UPDATE SET blocked = excluded.blocked",
            (self.subject(user_id), 1 if blocked else 0),
        )

    async def requests_on(self, user_id: int, day: date) -> int:
        """Requests the person opened on `day` (UTC)."""
        row = await self.db.fetchone(
            "SELECT day, requests FROM abuse WHERE subject = ?", (self.subject(user_id),)
        )
        return int(row["requests"]) if row and row["day"] == day.isoformat() else 0

    async def count_request(self, user_id: int, day: date) -> None:
        """One more request opened on `day` (inside the case's unit of work)."""
        await self.db.execute(
            "INSERT INTO abuse (subject, day, requests) VALUES (?, ?, 1)"
            " ON CONFLICT (subject) DO UPDATE SET"
            " requests = CASE WHEN abuse.day = excluded.day THEN abuse.requests + 1 ELSE 1 END,"
            " day = excluded.day",
            (self.subject(user_id), day.isoformat()),
        )

    async def adopt_legacy_blocks(self) -> int:
        """Blocks made before this record existed (people.blocked) move into it."""
        rows = await self.db.fetchall("SELECT user_id FROM people WHERE blocked = 1")
        for row in rows:
            await self.set_blocked(int(row["user_id"]), True)
        return len(rows)

    async def record(self, user_id: int) -> dict[str, object] | None:
        """What the record says about this person (for /mydata)."""
        row = await self.db.fetchone(
            "SELECT blocked, day, requests FROM abuse WHERE subject = ?", (self.subject(user_id),)
        )
        if row is None:
            return None
        return {
            "blocked": bool(row["blocked"]),
            "day": row["day"],
            "requests_that_day": row["requests"],
        }

    async def prune(self, before: date) -> int:
        """Forget records that hold nothing any more: not blocked, no requests since `before`."""
        return await self.db.execute(
            "DELETE FROM abuse WHERE blocked = 0 AND (day IS NULL OR day < ?)",
            (before.isoformat(),),
        )
