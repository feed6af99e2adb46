"""What a case card's buttons do to a case, as plain mutations of its record.

The staff adapter checks who pressed (and, for an assignment, who is named) before it asks
here; an action or value it does not know gives None and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from bot.cases import lifecycle
from bot.cases.model import OUTCOMES, PRIORITIES, SERVICES, STATUS_DELETED, STATUSES, CaseRecord
from bot.numbers import parse_user_id

Mutation = Callable[[CaseRecord], CaseRecord]
UNASSIGN = "-"


def card_mutation(action: str, value: str, *, actor_id: int, now: datetime) -> Mutation | None:
    """The change a card button asks for: claim, assign (`as`), status (`st`), priority
    (`pr`), a service delivered (`sv`, toggled) or the outcome (`oc`)."""
    if action == "claim":
        return partial(lifecycle.claim, caseworker_id=actor_id, now=now)
    if action == "as":
        assignee = None if value == UNASSIGN else parse_user_id(value)
        if assignee is None and value != UNASSIGN:
            return None
        return partial(lifecycle.assign, caseworker_id=assignee, now=now)
    if action == "st" and value in STATUSES and value != STATUS_DELETED:
        return partial(lifecycle.transition, new_status=value, now=now)
    if action == "pr" and value in {str(p) for p in PRIORITIES}:
        return partial(lifecycle.set_priority, priority=int(value))
    if action == "sv" and value in SERVICES:
        return partial(lifecycle.toggle_service, service=value)
    if action == "oc" and value in OUTCOMES:
        return partial(lifecycle.set_outcome, outcome=value)
    return None


def named_assignee(action: str, value: str) -> int | None:
    """The caseworker an assignment names (to check they are current staff), if any."""
    return parse_user_id(value) if action == "as" and value != UNASSIGN else None
