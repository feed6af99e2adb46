"""Collecting and erasing everything stored about one person."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.cases.model import OPEN_STATUSES
from bot.services import Services
from bot.storage.timefmt import to_db

log = logging.getLogger(__name__)


async def collect(services: Services, user_id: int) -> dict[str, Any]:
    """Everything stored about a person, as plain data (for /mydata and its JSON file)."""
    db = services.db
    person = await db.fetchone(
        "SELECT user_id, language, audience, phone, first_seen, last_seen, blocked, unreachable,"
        " state FROM people WHERE user_id = ?",
        (user_id,),
    )
    cases = []
    for row in await db.fetchall(
        "SELECT id, category, language, status, region, adults, children, vulnerabilities, description,"
        " created_at, closed_at, rating, rating_comment, flow_id, flow_answers, flow_outcome"
        " FROM cases WHERE user_id = ? ORDER BY id",
        (user_id,),
    ):
        messages = await db.fetchall(
            "SELECT direction, text, media_kind, created_at FROM case_messages"
            " WHERE case_id = ? AND direction != 'note' ORDER BY id",
            (row["id"],),
        )
        case = dict(row)
        case["flow_answers"] = json.loads(case["flow_answers"]) if case["flow_answers"] else None
        case["messages"] = [dict(m) for m in messages]
        cases.append(case)
    return {
        "profile": dict(person) if person else None,
        "consents": await services.people.consents(user_id),
        "cases": cases,
        "eligibility_answers": [
            {**r, "answers": json.loads(str(r["answers"]))} for r in await services.records.flow_results_of(user_id)
        ],
        "feedback": [dict(r) for r in await db.fetchall(
            "SELECT item_id, helpful, created_at FROM feedback WHERE user_id = ?", (user_id,))],
    }


@dataclass(frozen=True)
class Erasure:
    cases: list[int]
    open_cases: list[int]


async def _erase_case_texts(conn: aiosqlite.Connection, case_ids: list[int]) -> None:
    """Remove what people wrote from cases, keeping the fields statistics need."""
    for case_id in case_ids:
        await conn.execute("DELETE FROM case_messages WHERE case_id = ?", (case_id,))
        await conn.execute(
            "UPDATE cases SET user_id = NULL, description = NULL, region = NULL, rating_comment = NULL,"
            " flow_answers = NULL WHERE id = ?",
            (case_id,),
        )


async def erase_person(services: Services, user_id: int, now: datetime) -> Erasure:
    """Delete a person's personal data everywhere; open cases become deleted stubs for staff."""
    async with services.db.transaction() as conn:
        cur = await conn.execute("SELECT id, status FROM cases WHERE user_id = ?", (user_id,))
        rows = list(await cur.fetchall())
        case_ids = [int(r[0]) for r in rows]
        open_ids = [int(r[0]) for r in rows if r[1] in OPEN_STATUSES]
        for case_id in open_ids:
            await conn.execute(
                "UPDATE cases SET status = 'deleted', closed_at = ?, deleted_at = ?, updated_at = ? WHERE id = ?",
                (to_db(now), to_db(now), to_db(now), case_id),
            )
        for case_id in case_ids:
            await conn.execute("UPDATE cases SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", (to_db(now), case_id))
        await _erase_case_texts(conn, case_ids)
        for table in ("feedback", "flow_sessions", "flow_results", "consents"):
            await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM outbox WHERE chat_id = ?", (user_id,))
        await conn.execute("DELETE FROM people WHERE user_id = ?", (user_id,))
        await conn.execute(
            "INSERT INTO audit_log (actor_id, action, case_id, detail, at) VALUES (NULL, 'person_deleted', NULL, ?, ?)",
            (str(len(case_ids)), to_db(now)),
        )
    # Fold the WAL into the database so erased pages (zeroed by secure_delete) leave the WAL too.
    await services.db.checkpoint()
    return Erasure(case_ids, open_ids)


async def anonymise_cases(services: Services, case_ids: list[int]) -> None:
    """Retention: erase texts of old closed cases, keeping their statistics."""
    async with services.db.transaction() as conn:
        await _erase_case_texts(conn, case_ids)
