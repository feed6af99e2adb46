"""Retention: closed cases anonymised, inactive profiles deleted, after the operator's periods."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.privacy.data import anonymise_cases, erase_person
from bot.services import Services

log = logging.getLogger(__name__)


async def apply_retention(services: Services) -> tuple[int, int]:
    """Run once: returns (cases anonymised, profiles deleted); counts are logged, never content."""
    now = services.clock.now()
    privacy = services.store.privacy
    case_ids = await privacy.ended_before(
        now - timedelta(days=services.settings.retention_closed_days)
    )
    if case_ids:
        await anonymise_cases(services, case_ids)
    people = await privacy.inactive_since(
        now - timedelta(days=services.settings.retention_inactive_days)
    )
    for user_id in people:
        await erase_person(services, user_id, now)
    await services.inbox.prune(now - timedelta(days=2))
    await services.outbox.prune(now - timedelta(days=2))
    await services.abuse.prune((now - timedelta(days=2)).date())
    await services.store.compact()
    log.info(
        "retention: %s closed cases anonymised, %s inactive profiles deleted",
        len(case_ids),
        len(people),
    )
    return len(case_ids), len(people)
