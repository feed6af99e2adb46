"""Routing rules: first match wins, wildcards, default team, priorities, loader problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.cases.routing import (
    RoutingRules,
    Rule,
    Team,
    load_routing,
    priority_for,
    route,
)

CATEGORIES = {"documents", "housing", "health", "employment", "education", "legal", "other"}
LANGUAGES = {"az", "ru", "en", "fa", "tr"}
REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"


def write_pack(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    (root / "routing.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def load(tmp_path: Path, text: str) -> tuple[RoutingRules, list[str]]:
    rules, problems = load_routing(write_pack(tmp_path, text), CATEGORIES, LANGUAGES)
    return rules, [str(p) for p in problems]


@pytest.fixture
def rules() -> RoutingRules:
    teams = {t: Team(t) for t in ("general", "documents", "farsi", "protection")}
    return RoutingRules(
        teams=teams,
        rules=(
            Rule("documents", frozenset({"documents"}), None),
            Rule("farsi", None, frozenset({"fa"})),
            Rule("protection", frozenset({"legal", "housing"}), frozenset({"az", "ru"})),
        ),
        default_team="general",
    )


def test_first_matching_rule_wins(rules: RoutingRules) -> None:
    # documents in Farsi matches both the documents and the farsi rule: the first wins.
    assert route(rules, "documents", "fa").id == "documents"
    assert route(rules, "health", "fa").id == "farsi"


def test_wildcard_and_language_lists(rules: RoutingRules) -> None:
    assert route(rules, "documents", "tr").id == "documents"
    assert route(rules, "legal", "ru").id == "protection"
    assert route(rules, "legal", "en").id == "general"


def test_default_team_when_nothing_matches(rules: RoutingRules) -> None:
    assert route(rules, "employment", "en").id == "general"


def test_team_lookup_falls_back_for_removed_team(rules: RoutingRules) -> None:
    assert rules.team("gone").id == "general"


def test_priority_from_flags(rules: RoutingRules) -> None:
    assert priority_for(rules, []) == 1
    assert priority_for(rules, ["psychosocial"]) == 1
    assert priority_for(rules, ["psychosocial", "medical"]) == 0
    low = RoutingRules(
        teams=rules.teams, default_priority=2, vulnerability_priority={"psychosocial": 1}
    )
    assert priority_for(low, ["psychosocial"]) == 1
    assert priority_for(low, ["medical"]) == 2  # not listed: no raise


def test_shipped_routing_yaml_loads_cleanly() -> None:
    rules, problems = load_routing(REPO_CONTENT, CATEGORIES, LANGUAGES)
    assert problems == []
    assert rules.default_team == "general"
    assert route(rules, "documents", "az").id == "documents"
    assert route(rules, "housing", "fa").id == "protection"
    assert route(rules, "legal", "en").id == "protection"
    assert route(rules, "health", "ru").id == "general"
    assert all(t.chat_id is None for t in rules.teams.values())
    assert priority_for(rules, {"trafficking"}) == 0


def test_loader_builds_rules(tmp_path: Path) -> None:
    rules, problems = load(
        tmp_path,
        """
        teams:
          - id: general
          - id: docs
            chat_id: -1001234567890
            thread: Documents
        rules:
          - category: documents
            language: "*"
            team: docs
        default_team: general
        vulnerability_priority: {medical: 0}
        default_priority: 2
        """,
    )
    assert problems == []
    team = route(rules, "documents", "fa")
    assert (team.id, team.chat_id, team.thread) == ("docs", -1001234567890, "Documents")
    assert priority_for(rules, ["medical"]) == 0
    assert priority_for(rules, ["children"]) == 2  # the file's map replaces the defaults


def test_loader_problems_have_lines(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        """
        teams:
          - id: general
          - id: docs
            chat_id: 12345
        rules:
          - category: [documents, visas]
            language: "*"
            team: docs
          - category: "*"
            language: [fa, de]
            team: farsi
          - categories: [legal]
            language: "*"
            team: general
        default_team: nobody
        vulnerability_priority:
          medical: 0
          poverty: 0
          children: 5
        default_priority: high
        """,
    )
    joined = "\n".join(problems)
    expected = [
        "content/routing.yaml:4: error: team 'docs': chat_id must be a group id",
        "content/routing.yaml:6: error: rule: unknown category 'visas'",
        "content/routing.yaml:10: error: rule: unknown language 'de'",
        "content/routing.yaml:11: error: rule: unknown team 'farsi'",
        "content/routing.yaml:12: error: rule: unknown key 'categories'",
        "content/routing.yaml:15: error: default_team 'nobody'",
        "content/routing.yaml:18: error: unknown vulnerability 'poverty'",
        "content/routing.yaml:19: error: priority of children must be 0 (high), 1 (normal) or 2",
        "content/routing.yaml:20: error: default_priority must be 0",
    ]
    for line in expected:
        assert line in joined, f"missing {line!r} in:\n{joined}"


def test_unreachable_rule_is_a_warning(tmp_path: Path) -> None:
    _, problems = load(
        tmp_path,
        """
        teams: [{id: general}, {id: docs}]
        rules:
          - {category: "*", language: [az, ru], team: general}
          - {category: [documents], language: [az], team: docs}
        default_team: general
        """,
    )
    assert problems == [
        "content/routing.yaml:4: warning: rule never applies: the rule at line 3 already "
        "matches everything it matches (the first matching rule wins)"
    ]


def test_missing_file_is_a_warning_and_routes_to_main_chat(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    rules, problems = load_routing(root, CATEGORIES, LANGUAGES)
    assert [p.severity for p in problems] == ["warning"]
    team = route(rules, "legal", "fa")
    assert team.id == "general" and team.chat_id is None


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "teams:\n  - id: general\n rules: [\n")
    assert len(problems) == 1
    assert problems[0].startswith("content/routing.yaml:3: error")


def test_no_teams_is_an_error(tmp_path: Path) -> None:
    rules, problems = load(tmp_path, "teams: []\n")
    assert any("teams: must be a list with at least one team" in p for p in problems)
    assert route(rules, "other", "en").id == "general"  # still usable
