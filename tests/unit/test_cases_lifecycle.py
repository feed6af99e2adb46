"""Case lifecycle: transitions, claiming, first response, reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cases.lifecycle import (
    TRANSITIONS,
    AlreadyClaimed,
    InvalidTransition,
    assign,
    can_transition,
    claim,
    is_open,
    person_wrote,
    record_first_response,
    reopen,
    set_outcome,
    set_priority,
    set_rating,
    toggle_service,
    transition,
)
from bot.cases.model import STATUSES, CaseRecord
from bot.clock import FakeClock

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make_case(**overrides: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "id": 7,
        "person_id": 1001,
        "category": "documents",
        "language": "az",
        "created_at": T0,
    }
    fields.update(overrides)
    return CaseRecord(**fields)


def test_every_status_has_a_transition_entry() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert TRANSITIONS["deleted"] == frozenset()


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "in_progress"),
        ("new", "closed"),
        ("in_progress", "waiting"),
        ("waiting", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("resolved", "in_progress"),
        ("closed", "in_progress"),
        ("closed", "deleted"),
        ("waiting", "deleted"),
    ],
)
def test_allowed_transitions(current: str, target: str) -> None:
    case = make_case(status=current, assignee_id=5)
    moved = transition(case, target, T0 + timedelta(hours=1))
    assert moved.status == target
    assert case.status == current  # records are immutable


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("deleted", "new"),
        ("deleted", "in_progress"),
        ("deleted", "closed"),
        ("closed", "resolved"),
        ("closed", "waiting"),
        ("resolved", "waiting"),
        ("new", "archived"),
    ],
)
def test_denied_transitions(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as err:
        transition(make_case(status=current), target, T0)
    assert err.value.current == current and err.value.target == target
    assert not can_transition(current, target)


def test_resolve_and_close_record_times_and_reopen_clears_them() -> None:
    clock = FakeClock(T0)
    case = make_case(status="in_progress", assignee_id=5)
    clock.advance(hours=5)
    resolved = transition(case, "resolved", clock.now())
    assert resolved.resolved_at == T0 + timedelta(hours=5)
    assert resolved.closed_at is None
    clock.advance(days=2)
    closed = transition(resolved, "closed", clock.now())
    assert closed.closed_at == T0 + timedelta(days=2, hours=5)
    assert closed.resolved_at == resolved.resolved_at
    reopened = transition(closed, "in_progress", clock.now())
    assert reopened.resolved_at is None and reopened.closed_at is None
    assert reopened.assignee_id == 5


def test_same_status_is_a_no_op_and_keeps_the_first_timestamp() -> None:
    resolved = transition(make_case(status="in_progress"), "resolved", T0)
    again = transition(resolved, "resolved", T0 + timedelta(hours=3))
    assert again.resolved_at == T0


def test_back_to_new_drops_the_assignee() -> None:
    case = transition(make_case(status="in_progress", assignee_id=5), "new", T0)
    assert case.status == "new" and case.assignee_id is None


def test_is_open() -> None:
    assert [s for s in STATUSES if is_open(make_case(status=s))] == [
        "new",
        "in_progress",
        "waiting",
    ]


def test_claim_moves_new_to_in_progress_and_is_idempotent() -> None:
    claimed = claim(make_case(), 42, T0)
    assert claimed.assignee_id == 42 and claimed.status == "in_progress"
    assert claim(claimed, 42, T0) == claimed


def test_claim_keeps_waiting_status() -> None:
    assert claim(make_case(status="waiting"), 42, T0).status == "waiting"


def test_claim_of_someone_elses_case_is_refused() -> None:
    claimed = claim(make_case(), 42, T0)
    with pytest.raises(AlreadyClaimed) as err:
        claim(claimed, 43, T0)
    assert err.value.assignee_id == 42


@pytest.mark.parametrize("status", ["resolved", "closed", "deleted"])
def test_claim_of_a_finished_case_is_refused(status: str) -> None:
    with pytest.raises(InvalidTransition):
        claim(make_case(status=status), 42, T0)


def test_assign_overrides_and_unassign_returns_to_queue() -> None:
    claimed = claim(make_case(), 42, T0)
    handed = assign(claimed, 43, T0)
    assert handed.assignee_id == 43 and handed.status == "in_progress"
    back = assign(handed, None, T0)
    assert back.assignee_id is None and back.status == "new"
    assert assign(make_case(), 9, T0).status == "in_progress"
    with pytest.raises(InvalidTransition):
        assign(make_case(status="deleted"), 9, T0)


def test_first_response_is_recorded_only_once() -> None:
    clock = FakeClock(T0)
    clock.advance(hours=2)
    first = record_first_response(make_case(), clock.now())
    clock.advance(hours=3)
    second = record_first_response(first, clock.now())
    assert second.first_response_at == T0 + timedelta(hours=2)


def test_priority_service_outcome_rating() -> None:
    case = set_priority(make_case(), 0)
    assert case.priority == 0
    with pytest.raises(ValueError):
        set_priority(case, 3)
    with pytest.raises(ValueError):
        set_priority(case, True)  # bool is an int in Python; not a priority
    case = toggle_service(case, "medical")
    case = toggle_service(case, "documents")
    assert case.services == {"medical", "documents"}
    assert toggle_service(case, "medical").services == {"documents"}
    with pytest.raises(ValueError):
        toggle_service(case, "cash")
    assert set_outcome(case, "rejected_ineligible").outcome == "rejected_ineligible"
    with pytest.raises(ValueError):
        set_outcome(case, "maybe")
    with pytest.raises(InvalidTransition):
        set_rating(case, 5)  # still open
    rated = set_rating(transition(case, "resolved", T0), 4)
    assert rated.rating == 4
    with pytest.raises(ValueError):
        set_rating(rated, 6)


def test_reopen_goes_to_caseworker_or_queue() -> None:
    closed = transition(make_case(status="in_progress", assignee_id=5), "closed", T0)
    assert reopen(closed, T0).status == "in_progress"
    unassigned = transition(make_case(), "closed", T0)
    assert reopen(unassigned, T0).status == "new"


def test_person_wrote() -> None:
    waiting = make_case(status="waiting", assignee_id=5)
    reopened = person_wrote(waiting, T0)
    assert reopened is not None and reopened.status == "in_progress"
    new = make_case()
    assert person_wrote(new, T0) is new
    closed = transition(make_case(status="in_progress", assignee_id=5), "closed", T0)
    within = person_wrote(closed, T0 + timedelta(days=13))
    assert within is not None and within.status == "in_progress"
    assert person_wrote(closed, T0 + timedelta(days=15)) is None
    assert person_wrote(transition(closed, "deleted", T0), T0) is None


def test_record_validation() -> None:
    with pytest.raises(ValueError):
        make_case(status="archived")
    with pytest.raises(ValueError):
        make_case(vulnerabilities=frozenset({"poverty"}))
    with pytest.raises(ValueError):
        make_case(created_at=datetime(2026, 1, 1))  # naive
    assert make_case().household == (1, 0)
    assert make_case(adults=2, children=3).individuals == 5
    assert make_case(children=2).household == (1, 2)
