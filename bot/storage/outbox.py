"""The outbox: messages that must arrive, queued in the same transaction as the change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.sql import Executor, Row
from bot.storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    kind: str
    case_id: int | None
    attempts: int
    next_attempt_at: datetime


class OutboxRepo:
    """Queueing (inside a unit of work: the same transaction as the change) and the outbox
    worker's reads and state changes."""

    def __init__(self, db: Executor) -> None:
        self.db = db

    async def enqueue(
        self,
        *,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        now: datetime,
        kind: str = "notice",
        case_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue one Bot API call; None if this dedupe key was queued before."""
        row = await self.db.fetchone(
            "INSERT INTO outbox (dedupe_key, chat_id, method, payload, kind, case_id,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            (
                dedupe_key,
                chat_id,
                method,
                json.dumps(params, ensure_ascii=False),
                kind,
                case_id,
                # Scheduling runs on the wall clock even when domain time is faked in tests.
                to_db(datetime.now(UTC)),
                to_db(now),
            ),
        )
        return int(row["id"]) if row else None

    async def due(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        """The oldest pending item of each chat, if due: a chat's messages stay in order."""
        rows = await self.db.fetchall(
            "SELECT o.* FROM outbox o JOIN ("
            "  SELECT chat_id, MIN(id) AS first_id FROM outbox WHERE status = 'pending'"
            "  GROUP BY chat_id) f ON o.id = f.first_id"
            " WHERE o.next_attempt_at <= ? ORDER BY o.id LIMIT ?",
            (to_db(now), limit),
        )
        return [_item(r) for r in rows]

    async def next_due_at(self) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'"
        )
        return from_db(row["t"]) if row and row["t"] else None

    # A finished row keeps no parameters (texts, the person's chat id in from_chat_id) and no
    # person's chat id: it stays only so that a replayed update enqueues nothing twice, and is
    # pruned with the inbox. Groups' ids (negative) are not personal and stay for counting.
    _FORGET = "payload = '{}', chat_id = CASE WHEN chat_id > 0 THEN 0 ELSE chat_id END"

    async def mark_sent(self, item_id: int, message_id: int | None, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
            f" {self._FORGET}, result_message_id = ?, error = NULL WHERE id = ?",
            (to_db(now), message_id, item_id),
        )

    async def retry_later(self, item_id: int, at: datetime, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?"
            " WHERE id = ?",
            (to_db(at), error[:300], item_id),
        )

    async def mark_failed(self, item_id: int, error: str, status: str = "failed") -> None:
        await self.db.execute(
            f"UPDATE outbox SET status = ?, attempts = attempts + 1, error = ?, {self._FORGET}"
            " WHERE id = ?",
            (status, error[:300], item_id),
        )

    async def mark_skipped(self, item_id: int, reason: str, now: datetime) -> None:
        """Moot by the time it was due (its case deleted, its topic there already): not sent,
        and nothing went wrong."""
        await self.db.execute(
            f"UPDATE outbox SET status = 'skipped', sent_at = ?, error = ?, {self._FORGET}"
            " WHERE id = ?",
            (to_db(now), reason[:300], item_id),
        )

    async def mark_chat_unreachable(self, chat_id: int, error: str) -> int:
        """The person blocked the bot: stop trying everything queued for them."""
        return await self.db.execute(
            f"UPDATE outbox SET status = 'unreachable', error = ?, {self._FORGET}"
            " WHERE chat_id = ? AND status = 'pending'",
            (error[:300], chat_id),
        )

    async def prune(self, before: datetime) -> int:
        """Forget finished rows created before `before` (past any replay of their update)."""
        return await self.db.execute(
            "DELETE FROM outbox WHERE status != 'pending' AND created_at < ?", (to_db(before),)
        )

    async def pending_of_kind(self, kind: str) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND kind = ?", (kind,)
        )
        return int(row["n"]) if row else 0

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}


def _item(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        chat_id=row["chat_id"],
        method=row["method"],
        params=json.loads(row["payload"]),
        kind=row["kind"],
        case_id=row["case_id"],
        attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]) or datetime.min,
    )
