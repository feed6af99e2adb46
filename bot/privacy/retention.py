"""Retention: closed cases anonymised, inactive profiles deleted, after the operator's periods."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.privacy.data import anonymise_cases, erase_person
from bot.services import Services
from bot.storage.timefmt import to_db

log = logging.getLogger(__name__)


async def apply_retention(services: Services) -> tuple[int, int]:
    """Run once: returns (cases anonymised, profiles deleted); counts are logged, never content."""
    now = services.clock.now()
    closed_before = to_db(now - timedelta(days=services.settings.retention_closed_days))
    rows = await services.db.fetchall(
        "SELECT id FROM cases WHERE status IN ('closed', 'resolved', 'deleted')"
        " AND COALESCE(closed_at, resolved_at, updated_at) < ?"
        " AND (user_id IS NOT NULL OR description IS NOT NULL OR region IS NOT NULL)",
        (closed_before,),
    )
    case_ids = [int(r["id"]) for r in rows]
    if case_ids:
        await anonymise_cases(services, case_ids)
    inactive_before = to_db(now - timedelta(days=services.settings.retention_inactive_days))
    people = await services.db.fetchall(
        "SELECT user_id FROM people p WHERE last_seen < ? AND NOT EXISTS ("
        " SELECT 1 FROM cases c WHERE c.user_id = p.user_id AND c.status IN ('new', 'in_progress', 'waiting'))",
        (inactive_before,),
    )
    for person in people:
        await erase_person(services, int(person["user_id"]), now)
    await services.inbox.prune(now - timedelta(days=2))
    await services.outbox.prune(now - timedelta(days=2))
    if services.abuse is not None:
        await services.abuse.prune((now - timedelta(days=2)).date())
    await services.db.checkpoint()
    log.info("retention: %s closed cases anonymised, %s inactive profiles deleted", len(case_ids), len(people))
    return len(case_ids), len(people)
