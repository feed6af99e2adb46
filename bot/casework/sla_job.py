"""The overdue check: remind in the case topic, then escalate to admins, each once."""

from __future__ import annotations

import logging

from bot.cases import sla
from bot.casework.service import post_to_case, staff_tr
from bot.services import Services

log = logging.getLogger(__name__)


async def check_overdue(services: Services) -> tuple[int, int]:
    """Run one pass; returns (reminded, escalated). Safe to run often: each acts once per case."""
    now = services.clock.now()
    hours = services.settings.first_response_hours
    tr = staff_tr(services)
    reminded = escalated = 0
    for row in await services.cases.awaiting_first_response():
        action = sla.overdue_action(row.record, now, hours, services.settings.escalation_hours)
        if action == "remind":
            # Only the field this job owns: a whole-record save from this (older) copy would
            # undo a claim or a status change made while the job ran.
            await services.cases.update(
                row.id, now, reminded_at=sla.mark_reminded(row.record, now).reminded_at
            )
            await post_to_case(
                services,
                row,
                "⏰ "
                + tr._(
                    "Case #{number} has waited too long for a first answer. "
                    "Please claim it and reply.",
                    number=row.id,
                ),
                f"case:{row.id}:remind",
            )
            reminded += 1
        elif action == "escalate":
            await services.cases.update(
                row.id, now, escalated_at=sla.mark_escalated(row.record, now).escalated_at
            )
            text = "🚨 " + tr._(
                "Case #{number} still has no answer after the reminder. "
                "Please make sure someone takes it.",
                number=row.id,
            )
            await post_to_case(services, row, text, f"case:{row.id}:escalate")
            async with services.store.transaction() as uow:
                for admin_id in sorted(services.settings.admin_ids):
                    await uow.outbox.enqueue(
                        chat_id=admin_id,
                        method="sendMessage",
                        params={"chat_id": admin_id, "text": text},
                        kind="notice",
                        dedupe_key=f"case:{row.id}:escalate:{admin_id}",
                        now=now,
                    )
            services.wake_outbox()
            escalated += 1
    if reminded or escalated:
        log.info("SLA check: %s reminded, %s escalated", reminded, escalated)
    return reminded, escalated
