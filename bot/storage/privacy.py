"""What is stored about one person, its erasure, and retention's queries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cases.model import OPEN_STATUSES
from bot.storage.broadcasts import BroadcastsRepo
from bot.storage.sql import Executor
from bot.storage.timefmt import to_db

# Outbox rows that carry what was said to or by the person (texts, their chat id). Staff
# notes too: one may quote the person (their comment on the help they got), and the others
# (reminders, reopen notes) are moot once the case is erased. The note that the person deleted
# their data is queued after the erasure.
PERSONAL_KINDS = ("to_person", "to_staff", "notice", "staff_note")
_ENDED = ("closed", "resolved", "deleted")


@dataclass(frozen=True)
class Erasure:
    cases: list[int]
    open_cases: list[int]


class PrivacyRepo:
    def __init__(self, db: Executor) -> None:
        self.db = db

    # -- /mydata ------------------------------------------------------------------------------

    async def profile(self, user_id: int) -> dict[str, Any] | None:
        row = await self.db.fetchone(
            "SELECT user_id, language, language_chosen, audience, phone, first_seen, last_seen,"
            " blocked, unreachable, state, state_data FROM people WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        profile = dict(row)
        profile["state_data"] = json.loads(profile["state_data"]) if profile["state_data"] else None
        return profile

    async def cases(self, user_id: int) -> list[dict[str, Any]]:
        """Each case with every field kept about it, its messages (notes too) and history."""
        out = []
        for row in await self.db.fetchall(
            "SELECT id, category, language, audience, status, priority, team, region, adults,"
            " children, vulnerabilities, description, services, outcome,"
            " CASE WHEN assignee_id IS NULL THEN 0 ELSE 1 END AS assigned, created_at,"
            " first_response_at, resolved_at, closed_at, rating, rating_comment, flow_id,"
            " flow_version, flow_answers, flow_outcome FROM cases WHERE user_id = ? ORDER BY id",
            (user_id,),
        ):
            case = dict(row)
            case["assigned"] = bool(case["assigned"])
            case["flow_answers"] = (
                json.loads(case["flow_answers"]) if case["flow_answers"] else None
            )
            case["messages"] = [
                dict(m)
                for m in await self.db.fetchall(
                    "SELECT direction, text, media_kind, file_id, created_at FROM case_messages"
                    " WHERE case_id = ? ORDER BY id",
                    (case["id"],),
                )
            ]
            case["history"] = [
                dict(h)
                for h in await self.db.fetchall(
                    "SELECT action, at FROM audit_log WHERE case_id = ? ORDER BY id", (case["id"],)
                )
            ]
            out.append(case)
        return out

    async def feedback(self, user_id: int) -> list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT item_id, language, helpful, created_at FROM feedback WHERE user_id = ?",
            (user_id,),
        )
        return [dict(r) for r in rows]

    async def waiting_messages(self, user_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM outbox WHERE chat_id = ? AND status = 'pending'", (user_id,)
        )
        return int(row["n"]) if row else 0

    # -- /delete and retention ------------------------------------------------------------------

    async def erase_person(self, user_id: int, now: datetime) -> Erasure:
        """Delete a person's personal data everywhere, in one transaction; open cases become
        deleted stubs for the staff."""
        stamp = to_db(now)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall("SELECT id, status FROM cases WHERE user_id = ?", (user_id,))
            case_ids = [int(r["id"]) for r in rows]
            open_ids = [int(r["id"]) for r in rows if r["status"] in OPEN_STATUSES]
            for case_id in open_ids:
                await tx.execute(
                    "UPDATE cases SET status = 'deleted', closed_at = ?, deleted_at = ?,"
                    " updated_at = ? WHERE id = ?",
                    (stamp, stamp, stamp, case_id),
                )
            for case_id in case_ids:
                await tx.execute(
                    "UPDATE cases SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?",
                    (stamp, case_id),
                )
            await _erase_case_texts(tx, case_ids)
            for table in ("feedback", "flow_sessions", "flow_results", "consents"):
                await tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM outbox WHERE chat_id = ?", (user_id,))
            # Announcements: their topics, and any delivery record of one being sent now.
            await tx.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            await BroadcastsRepo(tx).forget_person(user_id)
            await tx.execute("DELETE FROM people WHERE user_id = ?", (user_id,))
            # Their own actions (closing a request) are not kept under their id either.
            await tx.execute(
                "UPDATE audit_log SET actor_id = NULL WHERE actor_id = ?"
                " AND action LIKE '%\\_by\\_person' ESCAPE '\\'",
                (user_id,),
            )
            await tx.execute(
                "INSERT INTO audit_log (actor_id, action, case_id, detail, at)"
                " VALUES (NULL, 'person_deleted', NULL, ?, ?)",
                (str(len(case_ids)), stamp),
            )
        return Erasure(case_ids, open_ids)

    async def anonymise_cases(self, case_ids: list[int]) -> None:
        """Erase texts of old closed cases, keeping their statistics."""
        async with self.db.transaction() as tx:
            await _erase_case_texts(tx, case_ids)

    async def ended_before(self, before: datetime) -> list[int]:
        """Ended cases past their retention that still hold something personal."""
        rows = await self.db.fetchall(
            "SELECT id FROM cases WHERE status IN (?, ?, ?)"
            " AND COALESCE(closed_at, resolved_at, updated_at) < ?"
            " AND (user_id IS NOT NULL OR description IS NOT NULL OR region IS NOT NULL)",
            (*_ENDED, to_db(before)),
        )
        return [int(r["id"]) for r in rows]

    async def inactive_since(self, before: datetime) -> list[int]:
        """People who have not written since `before` and have no open case."""
        marks = ", ".join("?" * len(OPEN_STATUSES))
        rows = await self.db.fetchall(
            "SELECT user_id FROM people p WHERE last_seen < ? AND NOT EXISTS ("
            f" SELECT 1 FROM cases c WHERE c.user_id = p.user_id AND c.status IN ({marks}))",
            (to_db(before), *sorted(OPEN_STATUSES)),
        )
        return [int(r["user_id"]) for r in rows]


async def _erase_case_texts(tx: Executor, case_ids: list[int]) -> None:
    """Remove what people wrote from cases, keeping the fields statistics need."""
    marks = ",".join("?" * len(PERSONAL_KINDS))
    for case_id in case_ids:
        await tx.execute("DELETE FROM case_messages WHERE case_id = ?", (case_id,))
        await tx.execute(
            f"DELETE FROM outbox WHERE case_id = ? AND kind IN ({marks})",
            (case_id, *PERSONAL_KINDS),
        )
        await tx.execute(
            "UPDATE cases SET user_id = NULL, description = NULL, region = NULL,"
            " rating_comment = NULL, flow_answers = NULL WHERE id = ?",
            (case_id,),
        )
