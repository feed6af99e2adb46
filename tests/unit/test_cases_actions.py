"""Card buttons as mutations: known actions change the record, anything else gives None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cases.actions import card_mutation, named_assignee

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("claim", ""),
        ("as", "200000002"),
        ("as", "-"),
        ("st", "waiting"),
        ("pr", "0"),
        ("sv", "documents"),
        ("oc", "supported"),
    ],
)
def test_known_actions_give_a_mutation(action: str, value: str) -> None:
    assert card_mutation(action, value, actor_id=5, now=NOW) is not None


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("st", "deleted"),
        ("st", "bogus"),
        ("pr", "9"),
        ("sv", "weapons"),
        ("oc", ""),
        ("as", "x"),
        ("as", "-5"),
        ("zz", "1"),
        ("", ""),
    ],
)
def test_unknown_or_forged_values_give_nothing(action: str, value: str) -> None:
    assert card_mutation(action, value, actor_id=5, now=NOW) is None


def test_named_assignee() -> None:
    assert named_assignee("as", "200000002") == 200000002
    assert named_assignee("as", "-") is None and named_assignee("claim", "5") is None
