"""Service levels: when a first response is due, reminders, escalation, queue order.

The SLA covers the first staff reply only. A case counts from `created_at`; the hours
allowed depend on its priority (`Settings.first_response_hours`, high/normal/low). Cases
waiting for the person, resolved, closed or deleted are never overdue.

A periodic job asks `overdue_action` for each open case without a first response and
records what it did with `mark_reminded` / `mark_escalated`, so each happens once:

    due ──(no reply)──▶ remind ──(escalation_hours, still no reply)──▶ escalate
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from bot.cases.model import OPEN_STATUSES, STATUS_IN_PROGRESS, STATUS_NEW, CaseRecord

# A caseworker owes a first reply only in these statuses ("waiting" waits for the person).
SLA_STATUSES: frozenset[str] = frozenset({STATUS_NEW, STATUS_IN_PROGRESS})

Action = Literal["remind", "escalate"]


def first_response_due(case: CaseRecord, hours_by_priority: Sequence[int]) -> datetime:
    """When the first staff reply is due; priorities beyond the list use its last entry."""
    if not hours_by_priority:
        raise ValueError("hours_by_priority needs at least one entry")
    hours = hours_by_priority[min(case.priority, len(hours_by_priority) - 1)]
    return case.created_at + timedelta(hours=hours)


def overdue_action(
    case: CaseRecord,
    now: datetime,
    hours_by_priority: Sequence[int],
    escalation_hours: int,
) -> Action | None:
    """What the SLA job should do now: remind once when overdue, then escalate once."""
    if case.status not in SLA_STATUSES or case.first_response_at is not None:
        return None
    if case.reminded_at is None:
        return "remind" if now >= first_response_due(case, hours_by_priority) else None
    if case.escalated_at is None and now >= case.reminded_at + timedelta(hours=escalation_hours):
        return "escalate"
    return None


def mark_reminded(case: CaseRecord, now: datetime) -> CaseRecord:
    """Record that the overdue reminder was sent."""
    return replace(case, reminded_at=now)


def mark_escalated(case: CaseRecord, now: datetime) -> CaseRecord:
    """Record that the case was escalated to admins."""
    return replace(case, escalated_at=now)


def queue_key(case: CaseRecord) -> tuple[bool, int, datetime, int]:
    """Sort key of the caseworkers' queue: unclaimed, priority, oldest first, then id."""
    return (case.assignee_id is not None, case.priority, case.created_at, case.id)


def queue_order(cases: Iterable[CaseRecord]) -> list[CaseRecord]:
    """Open cases in the order caseworkers should take them.

    Unclaimed cases first, then by priority (0 high first), then oldest first; the id
    breaks ties so the order is stable. The same order in SQL:

        WHERE status IN ('new', 'in_progress', 'waiting')
        ORDER BY (assignee_id IS NOT NULL), priority, created_at, id

    (`(assignee_id IS NOT NULL)` sorts false=0 before true=1 in SQLite and PostgreSQL.)
    """
    return sorted((c for c in cases if c.status in OPEN_STATUSES), key=queue_key)
