"""Routing: which team gets a new request, and its starting priority (content/routing.yaml).

The file (see content/routing.yaml for a commented example):

    teams:                      # at least one
      - id: general
        chat_id: null           # null = the main staff chat (STAFF_CHAT_ID); else a group id
        thread: null            # optional forum topic in that chat for the team's notices
        note: free text for operators
    rules:                      # tried in order; the first match wins
      - category: [documents]   # category ids, or "*" for any (a single id is fine too)
        language: "*"           # language codes, or "*" for any
        team: documents
    default_team: general       # when no rule matches
    vulnerability_priority:     # each flag raises the priority to at most this value
      medical: 0
    default_priority: 1         # 0 high, 1 normal, 2 low

Unknown keys are errors rather than warnings: a typo such as `categories:` would otherwise
turn a rule into a silent wildcard and send requests to the wrong people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cases.model import PRIORITIES, PRIORITY_NORMAL, VULNERABILITIES
from bot.content.problems import Problem, Reporter, line_of, relative
from bot.content.yamlio import LineDict, YamlError, load_yaml

FILE_NAME = "routing.yaml"
WILDCARD = "*"
_TEAM_ID = re.compile(r"^[a-z0-9_]+(?:[.-][a-z0-9_]+)*$")
_TEAM_ID_MAX = 32  # team ids travel in callback data (64 bytes in all)
_THREAD_MAX = 128  # Telegram's limit for a forum topic name

DEFAULT_VULNERABILITY_PRIORITY: Mapping[str, int] = {
    "medical": 0,
    "children": 0,
    "trafficking": 0,
    "no_housing": 0,
    "disability": 0,
    "psychosocial": 1,
}


@dataclass(frozen=True)
class Team:
    """A group of caseworkers: where their requests are posted."""

    id: str
    chat_id: int | None = None  # None: the main staff chat (STAFF_CHAT_ID)
    thread: str | None = None  # a forum topic name in that chat for team notices
    note: str = ""


@dataclass(frozen=True)
class Rule:
    """Send requests of these categories in these languages to `team`; None = any."""

    team: str
    categories: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    line: int = 0

    def matches(self, category: str, language: str) -> bool:
        """True if this rule applies to a request."""
        return (self.categories is None or category in self.categories) and (
            self.languages is None or language in self.languages
        )

    def covers(self, other: Rule) -> bool:
        """True if every request `other` matches is already matched by this rule."""
        return _covers(self.categories, other.categories) and _covers(
            self.languages, other.languages
        )


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    if wide is None:
        return True
    return narrow is not None and narrow <= wide


@dataclass(frozen=True)
class RoutingRules:
    """The loaded routing.yaml."""

    teams: Mapping[str, Team]
    rules: tuple[Rule, ...] = ()
    default_team: str = "general"
    vulnerability_priority: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_VULNERABILITY_PRIORITY)
    )
    default_priority: int = PRIORITY_NORMAL

    def team(self, team_id: str) -> Team:
        """The team with this id, or the default team (a case may name a removed team)."""
        return self.teams.get(team_id) or self.teams[self.default_team]


def default_rules() -> RoutingRules:
    """What applies without a routing.yaml: one team on the main staff chat."""
    return RoutingRules(teams={"general": Team("general")})


def route(rules: RoutingRules, category: str, language: str) -> Team:
    """The team for a new request: the first matching rule, else the default team."""
    for rule in rules.rules:
        if rule.matches(category, language):
            return rules.team(rule.team)
    return rules.team(rules.default_team)


def priority_for(rules: RoutingRules, vulnerabilities: Iterable[str]) -> int:
    """Starting priority: the default, raised (lower number) by each vulnerability flag."""
    priority = rules.default_priority
    for flag in vulnerabilities:
        value = rules.vulnerability_priority.get(flag)
        if value is not None and value < priority:
            priority = value
    return priority


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_teams(node: Any, line: int, rep: Reporter) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    if not isinstance(node, list) or not node:
        rep.error(line, "teams: must be a list with at least one team")
        return teams
    for item in node:
        item_line = line_of(item, line)
        if not isinstance(item, LineDict):
            rep.error(item_line, "teams: each team must be a mapping with an id")
            continue
        rep.keys(item, "team", ("id", "chat_id", "thread", "note"))
        team_id = item.get("id")
        if not isinstance(team_id, str) or not _TEAM_ID.match(team_id):
            rep.error(
                item.line_of("id"),
                f"team id {team_id!r} must be short lowercase ASCII (letters, digits, _ . -)",
            )
            continue
        if len(team_id) > _TEAM_ID_MAX:
            rep.error(item.line_of("id"), f"team id {team_id!r} is longer than {_TEAM_ID_MAX}")
            continue
        if team_id in teams:
            rep.error(item.line_of("id"), f"team {team_id!r} is defined twice")
            continue
        chat_id = item.get("chat_id")
        if chat_id is not None and (not _is_int(chat_id) or chat_id >= 0):
            rep.error(
                item.line_of("chat_id"),
                f"team {team_id!r}: chat_id must be a group id such as -1001234567890 "
                f"or null for the main staff chat, got {chat_id!r}",
            )
            chat_id = None
        thread = item.get("thread")
        if thread is not None and (not isinstance(thread, str) or not thread.strip()):
            rep.error(item.line_of("thread"), f"team {team_id!r}: thread must be a name or null")
            thread = None
        elif isinstance(thread, str) and len(thread) > _THREAD_MAX:
            rep.error(
                item.line_of("thread"),
                f"team {team_id!r}: thread name is longer than {_THREAD_MAX} characters",
            )
            thread = None
        note = item.get("note", "")
        if not isinstance(note, str):
            rep.error(item.line_of("note"), f"team {team_id!r}: note must be text")
            note = ""
        teams[team_id] = Team(team_id, chat_id, thread.strip() if thread else None, note)
    return teams


def _parse_ids(
    value: Any, line: int, known: set[str], what: str, rep: Reporter
) -> frozenset[str] | None:
    """A rule's category/language list; None means any. Unknown ids are errors."""
    if value == WILDCARD:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        rep.error(line, f'rule: {what} must be "*" or a non-empty list of ids')
        return frozenset()
    ids: set[str] = set()
    for item in value:
        if item == WILDCARD:
            rep.error(line, f'rule: "*" cannot be mixed with {what} ids; use "*" alone')
        elif not isinstance(item, str) or item not in known:
            choices = ", ".join(sorted(known)) or "none defined"
            rep.error(line, f"rule: unknown {what} {item!r}; known: {choices}")
        else:
            ids.add(item)
    return frozenset(ids)


def _parse_rules(
    node: Any,
    line: int,
    teams: Mapping[str, Team],
    categories: set[str],
    languages: set[str],
    rep: Reporter,
) -> tuple[Rule, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        rep.error(line, "rules: must be a list (it may be empty)")
        return ()
    rules: list[Rule] = []
    for item in node:
        item_line = line_of(item, line)
        if not isinstance(item, LineDict):
            rep.error(item_line, "rules: each rule must be a mapping with category, language, team")
            continue
        rep.keys(item, "rule", ("category", "language", "team", "note"))
        ok = True
        for key in ("category", "language", "team"):
            if key not in item:
                rep.error(item.line, f'rule: {key} is missing (use "*" for any)')
                ok = False
        if not ok:
            continue
        cats = _parse_ids(item["category"], item.line_of("category"), categories, "category", rep)
        langs = _parse_ids(item["language"], item.line_of("language"), languages, "language", rep)
        team = item["team"]
        if not isinstance(team, str) or team not in teams:
            rep.error(
                item.line_of("team"),
                f"rule: unknown team {team!r}; teams: {', '.join(teams) or 'none'}",
            )
            continue
        rule = Rule(team, cats, langs, item.line)
        earlier = next((r for r in rules if r.covers(rule)), None)
        if earlier is not None and cats != frozenset() and langs != frozenset():
            rep.warning(
                item.line,
                f"rule never applies: the rule at line {earlier.line} already matches "
                "everything it matches (the first matching rule wins)",
            )
        rules.append(rule)
    return tuple(rules)


def _parse_priority(value: Any, line: int, what: str, rep: Reporter) -> int | None:
    if _is_int(value) and value in PRIORITIES:
        return int(value)
    rep.error(line, f"{what} must be 0 (high), 1 (normal) or 2 (low), got {value!r}")
    return None


def load_routing(
    root: Path, categories: set[str], languages: set[str]
) -> tuple[RoutingRules, list[Problem]]:
    """Load `<root>/routing.yaml`; always returns usable rules, plus problems with lines."""
    path = root / FILE_NAME
    rep = Reporter(relative(path, root))
    if not path.exists():
        rep.warning(0, "no routing.yaml: every request goes to the main staff chat")
        return default_rules(), rep.problems
    try:
        data = load_yaml(path)
    except YamlError as exc:
        rep.error(exc.line, exc.message)
        return default_rules(), rep.problems
    if not isinstance(data, LineDict):
        rep.error(1, "routing.yaml must be a mapping with teams, rules and default_team")
        return default_rules(), rep.problems
    rep.keys(
        data,
        "routing.yaml",
        ("teams", "rules", "default_team", "vulnerability_priority", "default_priority"),
    )

    teams = _parse_teams(data.get("teams"), data.line_of("teams"), rep)
    rules = _parse_rules(
        data.get("rules"), data.line_of("rules"), teams, categories, languages, rep
    )

    default_team = data.get("default_team")
    if default_team is None and len(teams) == 1:
        default_team = next(iter(teams))
    if not isinstance(default_team, str) or default_team not in teams:
        rep.error(
            data.line_of("default_team"),
            f"default_team {default_team!r} must be one of the teams: "
            f"{', '.join(teams) or 'none defined'}",
        )
        default_team = None

    default_priority = PRIORITY_NORMAL
    if "default_priority" in data:
        value = _parse_priority(
            data["default_priority"], data.line_of("default_priority"), "default_priority", rep
        )
        default_priority = PRIORITY_NORMAL if value is None else value

    vuln_priority: dict[str, int] = dict(DEFAULT_VULNERABILITY_PRIORITY)
    if "vulnerability_priority" in data:
        node = data["vulnerability_priority"]
        vuln_priority = {}
        if not isinstance(node, LineDict):
            rep.error(
                data.line_of("vulnerability_priority"),
                "vulnerability_priority must map flags to priorities, e.g. medical: 0",
            )
        else:
            for flag, value in node.items():
                if flag not in VULNERABILITIES:
                    rep.error(
                        node.line_of(flag),
                        f"unknown vulnerability {flag!r}; known: {', '.join(VULNERABILITIES)}",
                    )
                    continue
                parsed = _parse_priority(value, node.line_of(flag), f"priority of {flag}", rep)
                if parsed is not None:
                    vuln_priority[flag] = parsed

    if not teams:
        return default_rules(), rep.problems
    return (
        RoutingRules(
            teams=teams,
            rules=tuple(r for r in rules if r.team in teams),
            default_team=default_team or next(iter(teams)),
            vulnerability_priority=vuln_priority,
            default_priority=default_priority,
        ),
        rep.problems,
    )
