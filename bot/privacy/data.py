"""Collecting and erasing everything stored about one person."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from bot.casework.service import post_to_case, refresh_card, staff_tr
from bot.services import Services
from bot.storage.privacy import Erasure

log = logging.getLogger(__name__)


async def collect(services: Services, user_id: int) -> dict[str, Any]:
    """Everything stored about a person, as plain data (for /mydata and its JSON file).

    Left out on purpose, as /privacy and README say: which caseworker did what (their Telegram
    ids are the staff's data; the actions and times are here), and the keyed hash that
    identifies the abuse record (the record's content is here).
    """
    privacy = services.store.privacy
    session = await services.records.flow_session(user_id)
    return {
        "profile": await privacy.profile(user_id),
        "consents": await services.people.consents(user_id),
        # Each with both directions of messages, the caseworkers' internal notes and history.
        "cases": await privacy.cases(user_id),
        "eligibility_answers": [
            {**r, "answers": json.loads(str(r["answers"]))}
            for r in await services.records.flow_results_of(user_id)
        ],
        "open_questionnaire": (
            {
                "flow_id": session.flow_id,
                "flow_version": session.version,
                "answers": session.answers,
            }
            if session is not None
            else None
        ),
        "feedback": await privacy.feedback(user_id),
        # Announcements they opted into (topics, language, since when), and any being sent now.
        "announcement_subscriptions": await services.store.subscriptions.subscribed_since(user_id),
        "announcements_being_sent": await services.store.broadcasts.deliveries_of(user_id),
        "messages_waiting_to_be_sent_to_you": await privacy.waiting_messages(user_id),
        "abuse_record": await services.abuse.record(user_id),
    }


async def erase_person(services: Services, user_id: int, now: datetime) -> Erasure:
    """Delete a person's personal data everywhere; open cases become deleted stubs for staff."""
    erasure = await services.store.privacy.erase_person(user_id, now)
    # SQLite: fold the WAL into the file, so erased pages (zeroed by secure_delete) leave it too.
    await services.store.compact()
    return erasure


async def erase_and_tell_staff(services: Services, user_id: int, now: datetime) -> Erasure:
    """/delete confirmed: erase everything, then tell each case's caseworkers in its topic and
    on its card (they keep a stub without the person's texts)."""
    erasure = await erase_person(services, user_id, now)
    staff = staff_tr(services)
    note = "🗑 " + staff._(
        "The person asked to delete their data. This case is closed and its texts were erased."
    )
    for case_id in erasure.cases:
        row = await services.cases.get(case_id)
        if row is not None:
            await post_to_case(services, row, note, f"case:{case_id}:deleted")
            await refresh_card(services, row, f"case:{case_id}:deleted:card")
    return erasure


async def anonymise_cases(services: Services, case_ids: list[int]) -> None:
    """Retention: erase texts of old closed cases, keeping their statistics."""
    await services.store.privacy.anonymise_cases(case_ids)
