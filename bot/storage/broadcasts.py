"""Announcements as they are written, sent and reported, and who has been sent one.

A running broadcast carries a cursor over subscriptions: the sender feeds the outbox a bounded
batch at a time (`feed` in a unit of work), each person with a delivery record unique per
broadcast, written in the same transaction as their outbox row. The record goes 'sending'
(committed) before the call and 'sent' after it; a record found 'sending' after a crash was
cut off mid-call and is not sent again ('uncertain'): never twice to one person.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from bot.storage.sql import Executor, Row
from bot.storage.timefmt import from_db, to_db

FINAL_STATUSES = ("sent", "failed", "blocked", "uncertain", "skipped")


@dataclass(frozen=True)
class Broadcast:
    id: int
    status: str  # draft, running, done, cancelled
    step: str  # a draft's step: text, audience, preview
    version: int
    author_id: int | None
    chat_id: int
    thread_id: int | None
    announcement_id: str | None
    text: str | None
    language: str | None
    topics: tuple[str, ...]
    total: int
    cursor: int
    fed_all: bool
    queued: int
    sent: int
    failed: int
    blocked: int
    uncertain: int
    skipped: int
    progress_message_id: int | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def done_count(self) -> int:
        return self.sent + self.failed + self.blocked + self.uncertain + self.skipped

    @property
    def outstanding(self) -> int:
        """Queued to the outbox and not finished yet."""
        return self.queued - self.done_count

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done_count)


_COLUMNS = {f.name for f in fields(Broadcast)}
_EDITABLE = {"step", "text", "language", "topics", "announcement_id", "thread_id"}


class BroadcastsRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    # -- drafts -------------------------------------------------------------------------------

    async def create_draft(
        self,
        *,
        author_id: int | None,
        chat_id: int,
        thread_id: int | None,
        now: datetime,
        announcement_id: str | None = None,
        step: str = "text",
        topics: tuple[str, ...] = ("*",),
    ) -> int:
        """A new draft; the author's earlier drafts are dropped (one draft per admin)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM broadcasts WHERE status = 'draft' AND author_id IS NOT DISTINCT FROM ?"
                if tx.dialect.name == "postgres"
                else "DELETE FROM broadcasts WHERE status = 'draft' AND author_id IS ?",
                (author_id,),
            )
            row = await tx.fetchone(
                "INSERT INTO broadcasts (status, step, author_id, chat_id, thread_id,"
                " announcement_id, topics, created_at)"
                " VALUES ('draft', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    step,
                    author_id,
                    chat_id,
                    thread_id,
                    announcement_id,
                    ",".join(topics),
                    to_db(now),
                ),
            )
        assert row is not None
        return int(row["id"])

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def awaiting_text(self, author_id: int, chat_id: int) -> Broadcast | None:
        """The author's draft in this chat that waits for its text."""
        row = await self.db.fetchone(
            "SELECT * FROM broadcasts WHERE status = 'draft' AND step = 'text' AND author_id = ?"
            " AND chat_id = ? ORDER BY id DESC LIMIT 1",
            (author_id, chat_id),
        )
        return _broadcast(row) if row else None

    async def update_draft(self, broadcast_id: int, version: int, **changes: object) -> bool:
        """Change a draft if it is still at `version` (a stale button changes nothing)."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        values = [
            ",".join(v) if k == "topics" and isinstance(v, tuple | list) else v
            for k, v in changes.items()
        ]
        sets = "".join(f", {k} = ?" for k in changes)
        return bool(
            await self.db.execute(
                f"UPDATE broadcasts SET version = version + 1{sets} WHERE id = ? AND version = ?"
                " AND status = 'draft'",
                (*values, broadcast_id, version),
            )
        )

    async def discard_draft(self, broadcast_id: int) -> bool:
        return bool(
            await self.db.execute(
                "UPDATE broadcasts SET status = 'cancelled', version = version + 1"
                " WHERE id = ? AND status = 'draft'",
                (broadcast_id,),
            )
        )

    # -- running ------------------------------------------------------------------------------

    async def running(self) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE status = 'running' LIMIT 1")
        return _broadcast(row) if row else None

    async def start(self, broadcast_id: int, version: int, total: int, now: datetime) -> bool:
        """Draft → running, if the draft is unchanged since the preview and nothing else runs."""
        async with self.db.transaction() as tx:
            busy = await tx.fetchone("SELECT id FROM broadcasts WHERE status = 'running'")
            if busy is not None:
                return False
            return bool(
                await tx.execute(
                    "UPDATE broadcasts SET status = 'running', version = version + 1, total = ?,"
                    " started_at = ? WHERE id = ? AND version = ? AND status = 'draft'",
                    (total, to_db(now), broadcast_id, version),
                )
            )

    async def lock(self, broadcast_id: int) -> Broadcast | None:
        """Inside a unit of work: the broadcast, locked against a second feeder."""
        row = await self.db.fetchone(
            f"SELECT * FROM broadcasts WHERE id = ?{self.db.dialect.for_update}", (broadcast_id,)
        )
        return _broadcast(row) if row else None

    async def add_delivery(self, broadcast_id: int, user_id: int) -> bool:
        """A delivery record; False if this person has one for this broadcast already."""
        return bool(
            await self.db.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id) VALUES (?, ?)"
                " ON CONFLICT (broadcast_id, user_id) DO NOTHING",
                (broadcast_id, user_id),
            )
        )

    async def advance(self, broadcast_id: int, cursor: int, queued: int, fed_all: bool) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET cursor = ?, queued = queued + ?, fed_all = ? WHERE id = ?",
            (cursor, queued, 1 if fed_all else 0, broadcast_id),
        )

    async def claim(self, broadcast_id: int, user_id: int) -> str | None:
        """Just before the call: 'queued' becomes 'sending' (committed); returns the status
        found ('queued' means go ahead). A record found 'sending' was cut off by a crash mid
        call: it becomes 'uncertain' and is not sent again. None: no record (erased)."""
        if await self.db.execute(  # the usual case, in one statement
            "UPDATE broadcast_deliveries SET status = 'sending'"
            " WHERE broadcast_id = ? AND user_id = ? AND status = 'queued'",
            (broadcast_id, user_id),
        ):
            return "queued"
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT status FROM broadcast_deliveries WHERE broadcast_id = ? AND user_id = ?"
                f"{tx.dialect.for_update}",
                (broadcast_id, user_id),
            )
            if row is None:
                return None
            status = str(row["status"])
            if status == "queued":
                await tx.execute(
                    "UPDATE broadcast_deliveries SET status = 'sending'"
                    " WHERE broadcast_id = ? AND user_id = ?",
                    (broadcast_id, user_id),
                )
            elif status == "sending":
                await _finish(tx, broadcast_id, user_id, "uncertain", ("sending",))
        return status

    async def requeue(self, broadcast_id: int, user_id: int) -> None:
        """The call surely did not deliver (429, no connection): it may be made again."""
        await self.db.execute(
            "UPDATE broadcast_deliveries SET status = 'queued'"
            " WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'",
            (broadcast_id, user_id),
        )

    async def finish_delivery(self, broadcast_id: int, user_id: int, status: str) -> bool:
        """Record how one send ended, and count it, once."""
        if status not in FINAL_STATUSES:
            raise ValueError(status)
        async with self.db.transaction() as tx:
            return await _finish(tx, broadcast_id, user_id, status, ("queued", "sending"))

    async def settle_orphans(self, broadcast_id: int) -> int:
        """Delivery records left open with no outbox row behind them (a crash between the
        row's end and its record's): 'uncertain', never sent again. Returns how many."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT user_id FROM broadcast_deliveries"
                " WHERE broadcast_id = ? AND status IN ('queued', 'sending')",
                (broadcast_id,),
            )
            for r in rows:
                await _finish(
                    tx, broadcast_id, int(r["user_id"]), "uncertain", ("queued", "sending")
                )
        return len(rows)

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET progress_message_id = ? WHERE id = ?", (message_id, broadcast_id)
        )

    async def cancel(self, broadcast_id: int) -> bool:
        """Running → cancelled: what is queued is skipped when its turn comes."""
        return bool(
            await self.db.execute(
                "UPDATE broadcasts SET status = 'cancelled', version = version + 1"
                " WHERE id = ? AND status = 'running'",
                (broadcast_id,),
            )
        )

    async def close(self, broadcast_id: int, now: datetime) -> bool:
        """The end (all sent, or cancelled and drained): the delivery records go (who got it
        is nobody's business once nothing can be sent twice); the counts stay."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE broadcasts"
                " SET status = CASE WHEN status = 'running' THEN 'done' ELSE status END,"
                " finished_at = ?"
                " WHERE id = ? AND status IN ('running', 'cancelled') AND finished_at IS NULL",
                (to_db(now), broadcast_id),
            )
            await tx.execute(
                "DELETE FROM broadcast_deliveries WHERE broadcast_id = ?", (broadcast_id,)
            )
        return bool(changed)

    async def unfinished_cancelled(self) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE status = 'cancelled' AND started_at IS NOT NULL"
            " AND finished_at IS NULL ORDER BY id"
        )
        return [_broadcast(r) for r in rows]

    async def delivery_status(self, broadcast_id: int, user_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT status FROM broadcast_deliveries WHERE broadcast_id = ? AND user_id = ?",
            (broadcast_id, user_id),
        )
        return str(row["status"]) if row else None

    async def deliveries_of(self, user_id: int) -> list[dict[str, object]]:
        """For /mydata: announcements being sent to this person right now."""
        rows = await self.db.fetchall(
            "SELECT broadcast_id, status FROM broadcast_deliveries"
            " WHERE user_id = ? ORDER BY broadcast_id",
            (user_id,),
        )
        return [dict(r) for r in rows]

    async def forget_person(self, user_id: int) -> None:
        """Erasure: their delivery records go; one still open counts as skipped."""
        rows = await self.db.fetchall(
            "SELECT broadcast_id FROM broadcast_deliveries"
            " WHERE user_id = ? AND status IN ('queued', 'sending')",
            (user_id,),
        )
        for r in rows:
            await self.db.execute(
                "UPDATE broadcasts SET skipped = skipped + 1 WHERE id = ?",
                (int(r["broadcast_id"]),),
            )
        await self.db.execute("DELETE FROM broadcast_deliveries WHERE user_id = ?", (user_id,))

    async def recent(self, limit: int = 5) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE status != 'draft' ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_broadcast(r) for r in rows]

    async def last_sent(self, announcement_id: str) -> Broadcast | None:
        row = await self.db.fetchone(
            "SELECT * FROM broadcasts WHERE announcement_id = ? AND status IN ('running', 'done')"
            " ORDER BY id DESC LIMIT 1",
            (announcement_id,),
        )
        return _broadcast(row) if row else None


async def _finish(
    tx: Executor, broadcast_id: int, user_id: int, status: str, from_: tuple[str, ...]
) -> bool:
    marks = ", ".join("?" * len(from_))
    changed = await tx.execute(
        "UPDATE broadcast_deliveries SET status = ?"
        f" WHERE broadcast_id = ? AND user_id = ? AND status IN ({marks})",
        (status, broadcast_id, user_id, *from_),
    )
    if changed:
        await tx.execute(
            f"UPDATE broadcasts SET {status} = {status} + 1 WHERE id = ?", (broadcast_id,)
        )
    return bool(changed)


def _broadcast(row: Row) -> Broadcast:
    data = {k: row[k] for k in row.keys() if k in _COLUMNS}
    data["topics"] = tuple(t for t in str(data.get("topics") or "").split(",") if t)
    data["fed_all"] = bool(data["fed_all"])
    for key in ("created_at", "started_at", "finished_at"):
        data[key] = from_db(data[key])
    return Broadcast(**data)
