"""SLA: due times, remind once then escalate once, queue order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.cases.lifecycle import record_first_response
from bot.cases.model import CaseRecord
from bot.cases.sla import (
    first_response_due,
    mark_escalated,
    mark_reminded,
    overdue_action,
    queue_order,
)
from bot.clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOURS = (4, 24, 72)


def make_case(**overrides: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "id": 1,
        "person_id": 1001,
        "category": "health",
        "language": "ru",
        "created_at": T0,
    }
    fields.update(overrides)
    return CaseRecord(**fields)


def test_due_by_priority() -> None:
    assert first_response_due(make_case(priority=0), HOURS) == T0 + timedelta(hours=4)
    assert first_response_due(make_case(priority=1), HOURS) == T0 + timedelta(hours=24)
    assert first_response_due(make_case(priority=2), HOURS) == T0 + timedelta(hours=72)
    # A shorter list (an old setting) applies its last entry to lower priorities.
    assert first_response_due(make_case(priority=2), (4,)) == T0 + timedelta(hours=4)


def run_job(case: CaseRecord, clock: FakeClock) -> tuple[CaseRecord, str | None]:
    """What the lead's periodic job does: ask, then record the action."""
    action = overdue_action(case, clock.now(), HOURS, escalation_hours=24)
    if action == "remind":
        case = mark_reminded(case, clock.now())
    elif action == "escalate":
        case = mark_escalated(case, clock.now())
    return case, action


def test_remind_once_then_escalate_once() -> None:
    clock = FakeClock(T0)
    case = make_case(priority=0)
    actions = []
    for _ in range(60):  # every hour for 60 hours
        clock.advance(hours=1)
        case, action = run_job(case, clock)
        if action:
            actions.append((action, clock.now() - T0))
    assert actions == [("remind", timedelta(hours=4)), ("escalate", timedelta(hours=28))]


def test_no_action_before_due() -> None:
    case = make_case(priority=1)
    assert overdue_action(case, T0 + timedelta(hours=23, minutes=59), HOURS, 24) is None
    assert overdue_action(case, T0 + timedelta(hours=24), HOURS, 24) == "remind"


def test_first_response_stops_reminders_and_escalation() -> None:
    clock = FakeClock(T0)
    case = make_case(priority=0)
    clock.advance(hours=5)
    case, action = run_job(case, clock)
    assert action == "remind"
    case = record_first_response(case, clock.now())
    clock.advance(hours=48)
    assert run_job(case, clock)[1] is None


def test_waiting_and_finished_cases_are_never_overdue() -> None:
    late = T0 + timedelta(days=30)
    for status in ("waiting", "resolved", "closed", "deleted"):
        assert overdue_action(make_case(status=status), late, HOURS, 24) is None
    assert overdue_action(make_case(status="in_progress", assignee_id=3), late, HOURS, 24) == (
        "remind"
    )


def test_queue_order() -> None:
    cases = [
        make_case(id=1, priority=1, created_at=T0),
        make_case(
            id=2,
            priority=0,
            created_at=T0 + timedelta(hours=2),
            assignee_id=9,
            status="in_progress",
        ),
        make_case(id=3, priority=0, created_at=T0 + timedelta(hours=3)),
        make_case(id=4, priority=1, created_at=T0 - timedelta(hours=1)),
        make_case(id=5, priority=2, created_at=T0 - timedelta(days=3)),
        make_case(id=6, priority=0, created_at=T0, status="closed"),
        make_case(id=7, priority=1, created_at=T0, assignee_id=9, status="waiting"),
        make_case(id=8, priority=1, created_at=T0),
    ]
    # Unclaimed first (by priority, then oldest, then id), then claimed ones; closed out.
    assert [c.id for c in queue_order(cases)] == [3, 4, 1, 8, 5, 2, 7]
