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
    """Everything stored about a person, as plain data (for /mydata and its JSON file).

    Left out on purpose, as /privacy and README say: which caseworker did what (their Telegram
    ids are the staff's data; the actions and times are here), and the keyed hash that
    identifies the abuse record (the record's content is here).
    """
    db = services.db
    person = await db.fetchone(
        "SELECT user_id, language, language_chosen, audience, phone, first_seen, last_seen, blocked,"
        " unreachable, state, state_data FROM people WHERE user_id = ?",
        (user_id,),
    )
    profile = dict(person) if person else None
    if profile is not None:
        profile["state_data"] = json.loads(profile["state_data"]) if profile["state_data"] else None
    cases = []
    for row in await db.fetchall(
        "SELECT id, category, language, audience, status, priority, team, region, adults, children,"
        " vulnerabilities, description, services, outcome, assignee_id IS NOT NULL AS assigned,"
        " created_at, first_response_at, resolved_at, closed_at, rating, rating_comment,"
        " flow_id, flow_version, flow_answers, flow_outcome FROM cases WHERE user_id = ? ORDER BY id",
        (user_id,),
    ):
        messages = await db.fetchall(
            "SELECT direction, text, media_kind, file_id, created_at FROM case_messages"
            " WHERE case_id = ? ORDER BY id",
            (row["id"],),
        )
        history = await db.fetchall(
            "SELECT action, at FROM audit_log WHERE case_id = ? ORDER BY id", (row["id"],)
        )
        case = dict(row)
        case["assigned"] = bool(case["assigned"])
        case["flow_answers"] = json.loads(case["flow_answers"]) if case["flow_answers"] else None
        # Both directions and the caseworkers' internal notes about the case.
        case["messages"] = [dict(m) for m in messages]
        case["history"] = [dict(h) for h in history]
        cases.append(case)
    session = await services.records.flow_session(user_id)
    waiting = await db.fetchone(
        "SELECT COUNT(*) AS n FROM outbox WHERE chat_id = ? AND status = 'pending'", (user_id,)
    )
    return {
        "profile": profile,
        "consents": await services.people.consents(user_id),
        "cases": cases,
        "eligibility_answers": [
            {**r, "answers": json.loads(str(r["answers"]))} for r in await services.records.flow_results_of(user_id)
        ],
        "open_questionnaire": (
            {"flow_id": session.flow_id, "flow_version": session.version, "answers": session.answers}
            if session is not None else None
        ),
        "feedback": [dict(r) for r in await db.fetchall(
            "SELECT item_id, language, helpful, created_at FROM feedback WHERE user_id = ?", (user_id,))],
        "messages_waiting_to_be_sent_to_you": int(waiting["n"]) if waiting else 0,
        "abuse_record": await services.abuse.record(user_id) if services.abuse is not None else None,
    }


@dataclass(frozen=True)
class Erasure:
    cases: list[int]
    open_cases: list[int]


# Outbox rows that carry what was said to or by the person (texts, their chat id).
_PERSONAL_KINDS = ("to_person", "to_staff", "notice")


async def _erase_case_texts(conn: aiosqlite.Connection, case_ids: list[int]) -> None:
    """Remove what people wrote from cases, keeping the fields statistics need."""
    marks = ",".join("?" * len(_PERSONAL_KINDS))
    for case_id in case_ids:
        await conn.execute("DELETE FROM case_messages WHERE case_id = ?", (case_id,))
        await conn.execute(
            f"DELETE FROM outbox WHERE case_id = ? AND kind IN ({marks})", (case_id, *_PERSONAL_KINDS)
        )
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
        # Their own actions (closing a request) are not kept under their id either.
        await conn.execute(
            "UPDATE audit_log SET actor_id = NULL WHERE actor_id = ? AND action LIKE '%\\_by\\_person' ESCAPE '\\'",
            (user_id,),
        )
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
