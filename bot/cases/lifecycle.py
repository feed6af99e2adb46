"""Case lifecycle: which status changes are allowed and what each one records.

Statuses and allowed moves (`TRANSITIONS`):

    new ─────────┬─▶ in_progress ◀──▶ waiting
      │          │        │              │
      └──────────┴────────┴──────────────┴──▶ resolved ──▶ closed
    any open status ──▶ closed          (withdrawn, duplicate, no answer)
    resolved / closed ──▶ in_progress or new   (reopen: the person wrote again)
    in_progress / waiting ──▶ new        (back to the queue: nobody works on it)
    any status but deleted ──▶ deleted   (at the person's request; terminal)

- `resolved` means the caseworker thinks the matter is done; the person can still answer and
  the case reopens. `closed` is final for reporting, but a person who writes again within
  `REOPEN_DAYS` of the end reopens the same case rather than starting a new one, so the
  caseworker keeps the history. Later messages start a new request (see `person_wrote`).
- Reopening clears `resolved_at`/`closed_at`: open cases never carry an end time, so the
  resolution time in reports is always the last resolution.
- `first_response_at`, `reminded_at` and `escalated_at` survive a reopen: the SLA is about
  the first answer to a request, not to each message.
- `new` means nobody works on the case yet, so moving a case to `new` drops its assignee.
- Every function returns a new `CaseRecord`; the caller persists it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.cases.model import (
    OPEN_STATUSES,
    PRIORITIES,
    SERVICES,
    STATUS_CLOSED,
    STATUS_DELETED,
    STATUS_IN_PROGRESS,
    STATUS_NEW,
    STATUS_RESOLVED,
    STATUS_WAITING,
    CaseRecord,
)
from bot.cases.model import OUTCOMES as _OUTCOMES
from bot.cases.model import RATINGS as _RATINGS

# A person who writes within this many days after the end reopens the same case.
REOPEN_DAYS = 14

TRANSITIONS: Mapping[str, frozenset[str]] = {
    STATUS_NEW: frozenset(
        {STATUS_IN_PROGRESS, STATUS_WAITING, STATUS_RESOLVED, STATUS_CLOSED, STATUS_DELETED}
    ),
    STATUS_IN_PROGRESS: frozenset(
        {STATUS_NEW, STATUS_WAITING, STATUS_RESOLVED, STATUS_CLOSED, STATUS_DELETED}
    ),
    STATUS_WAITING: frozenset(
        {STATUS_NEW, STATUS_IN_PROGRESS, STATUS_RESOLVED, STATUS_CLOSED, STATUS_DELETED}
    ),
    STATUS_RESOLVED: frozenset({STATUS_NEW, STATUS_IN_PROGRESS, STATUS_CLOSED, STATUS_DELETED}),
    STATUS_CLOSED: frozenset({STATUS_NEW, STATUS_IN_PROGRESS, STATUS_DELETED}),
    STATUS_DELETED: frozenset(),
}


class CaseError(Exception):
    """A case action that the case's current state does not allow."""


class InvalidTransition(CaseError):
    """The status change is not in `TRANSITIONS` (or the case is deleted)."""

    def __init__(self, case_id: int, current: str, target: str) -> None:
        self.case_id, self.current, self.target = case_id, current, target
        super().__init__(f"case #{case_id}: cannot go from {current!r} to {target!r}")


class AlreadyClaimed(CaseError):
    """Someone else has already claimed the case (two caseworkers pressed at once)."""

    def __init__(self, case_id: int, assignee_id: int) -> None:
        self.case_id, self.assignee_id = case_id, assignee_id
        super().__init__(f"case #{case_id} is already claimed by {assignee_id}")


def is_open(case: CaseRecord) -> bool:
    """True while a caseworker still has something to do (new, in progress, waiting)."""
    return case.status in OPEN_STATUSES


def can_transition(current: str, target: str) -> bool:
    """True if `current → target` is allowed; staying in the same status is always allowed."""
    return current == target or target in TRANSITIONS.get(current, frozenset())


def transition(case: CaseRecord, new_status: str, now: datetime) -> CaseRecord:
    """Move the case to `new_status`, recording end times; same status is a no-op."""
    if new_status not in TRANSITIONS:
        raise InvalidTransition(case.id, case.status, new_status)
    if new_status == case.status:
        # A double-pressed button must not overwrite the first timestamp.
        return case
    if not can_transition(case.status, new_status):
        raise InvalidTransition(case.id, case.status, new_status)
    if new_status == STATUS_RESOLVED:
        return replace(case, status=new_status, resolved_at=now, closed_at=None)
    if new_status == STATUS_CLOSED:
        return replace(case, status=new_status, closed_at=now)
    if new_status == STATUS_DELETED:
        return replace(case, status=new_status)
    assignee = None if new_status == STATUS_NEW else case.assignee_id
    if case.status in (STATUS_RESOLVED, STATUS_CLOSED):
        return replace(
            case, status=new_status, assignee_id=assignee, resolved_at=None, closed_at=None
        )
    return replace(case, status=new_status, assignee_id=assignee)


def _require_not_deleted(case: CaseRecord, action: str) -> None:
    if case.status == STATUS_DELETED:
        raise InvalidTransition(case.id, case.status, action)


def claim(case: CaseRecord, caseworker_id: int, now: datetime) -> CaseRecord:
    """The caseworker takes an open case; a new case becomes in progress. Idempotent."""
    if not is_open(case):
        raise InvalidTransition(case.id, case.status, STATUS_IN_PROGRESS)
    if case.assignee_id == caseworker_id:
        return case
    if case.assignee_id is not None:
        raise AlreadyClaimed(case.id, case.assignee_id)
    status = STATUS_IN_PROGRESS if case.status == STATUS_NEW else case.status
    return replace(case, assignee_id=caseworker_id, status=status)


def assign(case: CaseRecord, caseworker_id: int | None, now: datetime) -> CaseRecord:
    """Hand the case to a caseworker, overriding a claim; None puts it back in the queue."""
    _require_not_deleted(case, "assign")
    status = case.status
    if caseworker_id is not None and status == STATUS_NEW:
        status = STATUS_IN_PROGRESS
    elif caseworker_id is None and status == STATUS_IN_PROGRESS:
        # Nobody works on it any more: it must show as new in the queue again.
        status = STATUS_NEW
    return replace(case, assignee_id=caseworker_id, status=status)


def set_priority(case: CaseRecord, priority: int) -> CaseRecord:
    """Set 0 (high), 1 (normal) or 2 (low)."""
    _require_not_deleted(case, "set_priority")
    if isinstance(priority, bool) or priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}, got {priority!r}")
    return replace(case, priority=priority)


def toggle_service(case: CaseRecord, service: str) -> CaseRecord:
    """Mark a service as delivered, or unmark it if it already was."""
    _require_not_deleted(case, "toggle_service")
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return replace(case, services=case.services ^ {service})


def set_outcome(case: CaseRecord, outcome: str | None) -> CaseRecord:
    """Record how the case ended (RESTART: supported, completed, rejected with reason...)."""
    _require_not_deleted(case, "set_outcome")
    if outcome is not None and outcome not in _OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(_OUTCOMES)}")
    return replace(case, outcome=outcome)


def set_rating(case: CaseRecord, rating: int) -> CaseRecord:
    """Store the person's 1-5 rating; only once the case is resolved or closed."""
    if case.status not in (STATUS_RESOLVED, STATUS_CLOSED):
        raise InvalidTransition(case.id, case.status, "rate")
    if isinstance(rating, bool) or rating not in _RATINGS:
        raise ValueError(f"rating must be 1..5, got {rating!r}")
    return replace(case, rating=rating)


def record_first_response(case: CaseRecord, now: datetime) -> CaseRecord:
    """Note the first staff reply to the person; later replies change nothing."""
    if case.first_response_at is not None or case.status == STATUS_DELETED:
        return case
    return replace(case, first_response_at=now)


def ended_at(case: CaseRecord) -> datetime | None:
    """When the case was last resolved or closed (None while open)."""
    return case.closed_at or case.resolved_at


def should_reopen(case: CaseRecord, now: datetime, within_days: int = REOPEN_DAYS) -> bool:
    """True if a message from the person should reopen this resolved/closed case."""
    if case.status not in (STATUS_RESOLVED, STATUS_CLOSED):
        return False
    end = ended_at(case)
    return end is None or now - end <= timedelta(days=within_days)


def reopen(case: CaseRecord, now: datetime) -> CaseRecord:
    """Reopen a resolved/closed case: to its caseworker if it has one, else to the queue."""
    target = STATUS_IN_PROGRESS if case.assignee_id is not None else STATUS_NEW
    return transition(case, target, now)


def person_wrote(
    case: CaseRecord, now: datetime, within_days: int = REOPEN_DAYS
) -> CaseRecord | None:
    """The status after a message from the person, or None: too late, open a new request.

    Waiting cases go back to their caseworker (or the queue); recent resolved/closed cases
    reopen; new and in-progress cases are unchanged; deleted cases never reopen.
    """
    if case.status in (STATUS_NEW, STATUS_IN_PROGRESS):
        return case
    if case.status == STATUS_WAITING:
        target = STATUS_IN_PROGRESS if case.assignee_id is not None else STATUS_NEW
        return transition(case, target, now)
    if should_reopen(case, now, within_days):
        return reopen(case, now)
    return None
