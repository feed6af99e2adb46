"""People who write to the bot: language, audience, the step they are in, reachability."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.storage.abuse import AbuseRepo
from bot.storage.sql import Executor, Row
from bot.storage.timefmt import from_db, to_db

# last_seen is only rewritten when older than this, so most updates cost no write.
TOUCH_GRANULARITY = timedelta(minutes=10)


@dataclass
class Person:
    user_id: int
    language: str | None
    language_chosen: bool
    audience: str | None
    audience_asked: bool
    state: str | None
    state_data: dict[str, Any] = field(default_factory=dict)
    phone: str | None = None
    unreachable: bool = False
    blocked: bool = False
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    last_update_id: int = 0
    is_new: bool = False


class PeopleRepo:
    def __init__(self, db: Executor, abuse: AbuseRepo | None = None) -> None:
        self.db = db
        self.abuse = abuse

    async def get(self, user_id: int) -> Person | None:
        row = await self.db.fetchone("SELECT * FROM people WHERE user_id = ?", (user_id,))
        return _person(row) if row else None

    async def touch(self, user_id: int, now: datetime, *, reachable: bool = True) -> Person:
        """Fetch the person, creating them on first contact; refresh last_seen cheaply.

        `reachable` is False for updates that do not show the chat is open (e.g. the person
        blocking the bot), so those never clear the unreachable mark.
        """
        person = await self.get(user_id)
        if person is None:
            # Someone new, or back after /delete: a block the staff set still applies.
            blocked = self.abuse is not None and await self.abuse.is_blocked(user_id)
            await self.db.execute(
                "INSERT INTO people (user_id, first_seen, last_seen, blocked) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, to_db(now), to_db(now), 1 if blocked else 0),
            )
            person = await self.get(user_id)
            assert person is not None
            person.is_new = True
            return person
        stale = person.last_seen is None or now - person.last_seen > TOUCH_GRANULARITY
        if stale or (person.unreachable and reachable):
            await self.db.execute(
                "UPDATE people SET last_seen = ?,"
                " unreachable = CASE WHEN ? = 1 THEN unreachable ELSE 0 END WHERE user_id = ?",
                (to_db(now), 0 if reachable else 1, user_id),
            )
            person.last_seen = now
            person.unreachable = person.unreachable and not reachable
        return person

    async def set_language(self, user_id: int, language: str) -> None:
        await self.db.execute(
            "UPDATE people SET language = ?, language_chosen = 1 WHERE user_id = ?",
            (language, user_id),
        )

    async def set_audience(self, user_id: int, audience: str | None) -> None:
        await self.db.execute(
            "UPDATE people SET audience = ?, audience_asked = 1 WHERE user_id = ?",
            (audience, user_id),
        )

    async def set_state(
        self,
        user_id: int,
        state: str | None,
        data: dict[str, Any] | None = None,
        update_id: int = 0,
    ) -> None:
        """Remember which step a typed answer belongs to (survives restarts).

        `update_id` marks the update whose effects this write completes, in the same
        statement, so that a replay of it after a crash is recognised (see `last_update_id`).
        Inside a unit of work, this is part of its transaction.
        """
        latest = self.db.dialect.max_of("last_update_id", "?")
        await self.db.execute(
            "UPDATE people SET state = ?, state_data = ?, state_version = state_version + 1,"
            f" last_update_id = {latest} WHERE user_id = ?",
            (
                state,
                json.dumps(data or {}, ensure_ascii=False) if state else None,
                update_id,
                user_id,
            ),
        )

    async def leave_intake(self, user_id: int, phone: str | None) -> None:
        """The request was sent: the draft goes, a phone shared for it stays."""
        await self.db.execute(
            "UPDATE people SET state = NULL, state_data = NULL, phone = COALESCE(?, phone)"
            " WHERE user_id = ?",
            (phone, user_id),
        )

    async def set_phone(self, user_id: int, phone: str | None) -> None:
        await self.db.execute("UPDATE people SET phone = ? WHERE user_id = ?", (phone, user_id))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The staff's block: on the profile, and in the record that outlives /delete."""
        if self.abuse is not None:
            await self.abuse.set_blocked(user_id, blocked)
        await self.db.execute(
            "UPDATE people SET blocked = ? WHERE user_id = ?", (1 if blocked else 0, user_id)
        )

    async def mark_unreachable(self, user_id: int) -> None:
        await self.db.execute("UPDATE people SET unreachable = 1 WHERE user_id = ?", (user_id,))

    async def give_consent(self, user_id: int, kind: str, version: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO consents (user_id, kind, version, given_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, kind) DO UPDATE SET version = excluded.version,"
            " given_at = excluded.given_at",
            (user_id, kind, version, to_db(now)),
        )

    async def consents(self, user_id: int) -> list[dict[str, str]]:
        rows = await self.db.fetchall(
            "SELECT kind, version, given_at FROM consents WHERE user_id = ? ORDER BY kind",
            (user_id,),
        )
        return [dict(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) AS n FROM people")
        return int(row["n"]) if row else 0


def _person(row: Row) -> Person:
    return Person(
        user_id=row["user_id"],
        language=row["language"],
        language_chosen=bool(row["language_chosen"]),
        audience=row["audience"],
        audience_asked=bool(row["audience_asked"]),
        state=row["state"],
        state_data=json.loads(row["state_data"]) if row["state_data"] else {},
        phone=row["phone"],
        unreachable=bool(row["unreachable"]),
        blocked=bool(row["blocked"]),
        first_seen=from_db(row["first_seen"]),
        last_seen=from_db(row["last_seen"]),
        last_update_id=row["last_update_id"],
    )
