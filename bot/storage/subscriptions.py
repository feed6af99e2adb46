"""Who opted into announcements, on which topics, and the audience of one announcement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.storage.sql import Executor
from bot.storage.timefmt import to_db

ALL_TOPICS = "*"


@dataclass(frozen=True)
class Recipient:
    """One person an announcement goes to: the subscription row the cursor stands on, the
    person, and the language they read (their chosen one, else the one they subscribed in)."""

    subscription_id: int
    user_id: int
    language: str


def _audience_where(topics: Sequence[str], language: str | None) -> tuple[str, list[object]]:
    """Subscriptions matching an announcement's topics (or '*'), of reachable people, of one
    language (None: any). Blocked people and those who blocked the bot are left out."""
    lang = (
        "CASE WHEN p.language_chosen = 1 AND p.language IS NOT NULL"
        " THEN p.language ELSE s.language END"
    )
    clauses = ["p.unreachable = 0", "p.blocked = 0"]
    params: list[object] = []
    if ALL_TOPICS not in topics:
        marks = ", ".join("?" * (len(topics) + 1))
        clauses.append(f"s.topic IN ({marks})")
        params += [ALL_TOPICS, *topics]
    if language is not None:
        clauses.append(f"{lang} = ?")
        params.append(language)
    return " AND ".join(clauses), params


class SubscriptionsRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def topics_of(self, user_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT topic FROM subscriptions WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [str(r["topic"]) for r in rows]

    async def subscribed_since(self, user_id: int) -> list[dict[str, object]]:
        """For /mydata: each topic, the language, and when."""
        rows = await self.db.fetchall(
            "SELECT topic, language, created_at FROM subscriptions WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [dict(r) for r in rows]

    async def replace(
        self, user_id: int, topics: Sequence[str], language: str, now: datetime
    ) -> None:
        """The person's topics become exactly `topics` (kept rows keep their place)."""
        async with self.db.transaction() as tx:
            current = {
                str(r["topic"])
                for r in await tx.fetchall(
                    "SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,)
                )
            }
            wanted = list(dict.fromkeys(topics))
            for topic in current - set(wanted):
                await tx.execute(
                    "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
                )
            for topic in wanted:
                if topic not in current:
                    await tx.execute(
                        "INSERT INTO subscriptions (user_id, topic, language, created_at)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, topic) DO NOTHING",
                        (user_id, topic, language, to_db(now)),
                    )
            if wanted:
                await tx.execute(
                    "UPDATE subscriptions SET language = ? WHERE user_id = ?", (language, user_id)
                )

    async def remove_all(self, user_id: int) -> int:
        return await self.db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))

    async def count_audience(self, topics: Sequence[str], language: str | None) -> int:
        where, params = _audience_where(topics, language)
        row = await self.db.fetchone(
            "SELECT COUNT(DISTINCT s.user_id) AS n FROM subscriptions s"
            f" JOIN people p ON p.user_id = s.user_id WHERE {where}",
            params,
        )
        return int(row["n"]) if row else 0

    async def count_unreachable(self, topics: Sequence[str]) -> int:
        """Subscribers left out because they blocked the bot (or the staff blocked them)."""
        where, params = _audience_where(topics, None)
        where = where.replace(
            "p.unreachable = 0 AND p.blocked = 0", "(p.unreachable = 1 OR p.blocked = 1)"
        )
        row = await self.db.fetchone(
            "SELECT COUNT(DISTINCT s.user_id) AS n FROM subscriptions s"
            f" JOIN people p ON p.user_id = s.user_id WHERE {where}",
            params,
        )
        return int(row["n"]) if row else 0

    async def audience_after(
        self, cursor: int, topics: Sequence[str], language: str | None, limit: int
    ) -> tuple[list[Recipient], int]:
        """The next recipients after subscription `cursor`, in subscription order, and the
        cursor after them (the last subscription row read, matching or not is irrelevant:
        only matching rows are read). A person with several matching topics appears once per
        row; the delivery record keeps them to one message."""
        where, params = _audience_where(topics, language)
        lang = (
            "CASE WHEN p.language_chosen = 1 AND p.language IS NOT NULL"
            " THEN p.language ELSE s.language END"
        )
        rows = await self.db.fetchall(
            f"SELECT s.id, s.user_id, {lang} AS lang FROM subscriptions s"
            f" JOIN people p ON p.user_id = s.user_id WHERE s.id > ? AND {where}"
            " ORDER BY s.id LIMIT ?",
            [cursor, *params, limit],
        )
        out = [Recipient(int(r["id"]), int(r["user_id"]), str(r["lang"])) for r in rows]
        return out, (out[-1].subscription_id if out else cursor)

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(DISTINCT user_id) AS n FROM subscriptions")
        return int(row["n"]) if row else 0
