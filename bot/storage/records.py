"""Smaller records: answer feedback, questionnaire sessions and results, the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.storage.sql import Executor
from bot.storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class FlowSession:
    user_id: int
    flow_id: str
    version: int
    answers: list[tuple[str, str]]


@dataclass(frozen=True)
class AuditEntry:
    actor_id: int | None
    action: str
    case_id: int | None
    detail: str | None
    at: datetime


class RecordsRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    # -- feedback -------------------------------------------------------------------------
    async def vote(
        self, user_id: int, item_id: str, language: str, helpful: bool, now: datetime
    ) -> bool:
        """One vote per person and item; a second tap changes nothing. True if counted."""
        changed = await self.db.execute(
            "INSERT INTO feedback (user_id, item_id, language, helpful, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, item_id) DO NOTHING",
            (user_id, item_id, language, 1 if helpful else 0, to_db(now)),
        )
        return bool(changed)

    async def has_voted(self, user_id: int, item_id: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM feedback WHERE user_id = ? AND item_id = ?", (user_id, item_id)
        )
        return row is not None

    async def feedback_counts(self) -> list[tuple[str, int, int]]:
        """(item id, helpful, not helpful), most voted first."""
        rows = await self.db.fetchall(
            "SELECT item_id, SUM(helpful) AS up, SUM(1 - helpful) AS down FROM feedback"
            " GROUP BY item_id ORDER BY COUNT(*) DESC, item_id"
        )
        return [(r["item_id"], int(r["up"]), int(r["down"])) for r in rows]

    # -- eligibility questionnaires -------------------------------------------------------
    async def flow_session(self, user_id: int) -> FlowSession | None:
        row = await self.db.fetchone("SELECT * FROM flow_sessions WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        answers = [(str(q), str(a)) for q, a in json.loads(row["answers"])]
        return FlowSession(user_id, row["flow_id"], int(row["flow_version"]), answers)

    async def save_flow_session(self, session: FlowSession, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO flow_sessions"
            " (user_id, flow_id, flow_version, answers, started_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET flow_id = excluded.flow_id,"
            " flow_version = excluded.flow_version, answers = excluded.answers,"
            " updated_at = excluded.updated_at",
            (
                session.user_id,
                session.flow_id,
                session.version,
                json.dumps(session.answers),
                to_db(now),
                to_db(now),
            ),
        )

    async def end_flow_session(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM flow_sessions WHERE user_id = ?", (user_id,))

    async def save_flow_result(
        self, session: FlowSession, outcome: str, result: str, now: datetime
    ) -> int:
        row = await self.db.fetchone(
            "INSERT INTO flow_results (user_id, flow_id, flow_version, answers, outcome, result,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                session.user_id,
                session.flow_id,
                session.version,
                json.dumps(session.answers),
                outcome,
                result,
                to_db(now),
            ),
        )
        return int(row["id"]) if row else 0

    async def latest_flow_result(self, user_id: int, flow_id: str) -> dict[str, object] | None:
        row = await self.db.fetchone(
            "SELECT * FROM flow_results WHERE user_id = ? AND flow_id = ? ORDER BY id DESC LIMIT 1",
            (user_id, flow_id),
        )
        return dict(row) if row else None

    async def flow_results_of(self, user_id: int) -> list[dict[str, object]]:
        rows = await self.db.fetchall(
            "SELECT flow_id, flow_version, answers, outcome, result, created_at FROM flow_results"
            " WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [dict(r) for r in rows]

    # -- audit ----------------------------------------------------------------------------
    async def audit(
        self,
        actor_id: int | None,
        action: str,
        case_id: int | None,
        now: datetime,
        detail: str | None = None,
    ) -> None:
        """Record a staff action (inside a unit of work: in its transaction)."""
        await self.db.execute(
            "INSERT INTO audit_log (actor_id, action, case_id, detail, at) VALUES (?, ?, ?, ?, ?)",
            (actor_id, action, case_id, detail, to_db(now)),
        )

    async def audit_for(self, case_id: int, limit: int = 50) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit_log WHERE case_id = ? ORDER BY id DESC LIMIT ?", (case_id, limit)
        )
        return [
            AuditEntry(
                r["actor_id"],
                r["action"],
                r["case_id"],
                r["detail"],
                from_db(r["at"]) or datetime.min,
            )
            for r in rows
        ][::-1]
