"""Eligibility questionnaire model: flows, questions, rules, outcomes and their texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot import callbacks

Answer = tuple[str, str]
"""(question id, normalized answer value): option id, number like "17", or ISO date."""

Kind = Literal["yes_no", "choice", "number", "date", "duration"]
KINDS: tuple[str, ...] = ("yes_no", "choice", "number", "date", "duration")
OPTION_KINDS: frozenset[str] = frozenset({"yes_no", "choice", "duration"})
SCALAR_KINDS: frozenset[str] = frozenset({"number", "date"})
RESULTS: tuple[str, ...] = ("likely_eligible", "not_eligible", "unclear")
OPS: tuple[str, ...] = ("lt", "le", "gt", "ge", "eq", "in")
YES_NO: tuple[str, str] = ("yes", "no")

CALLBACK_LIMIT = callbacks.LIMIT

RuleValue = float | date | str
CondValue = RuleValue | tuple[RuleValue, ...]


def callback_data(flow_id: str, version: int, question_id: str, answer: str) -> str:
    """The button payload for one answer: `q:<flow>:<version>:<qid>:<answer>`."""
    return callbacks.FlowAnswer(flow_id, version, question_id, answer).pack()


def parse_callback(data: str) -> tuple[str, int, str, str] | None:
    """Split flow button data into (flow id, version, question id, answer); None if not ours."""
    parsed = callbacks.FlowAnswer.unpack(data)
    if parsed is None:
        return None
    return parsed.flow, parsed.version, parsed.question, parsed.answer


def _compare(op: str, actual: RuleValue, expected: CondValue) -> bool:
    # Values of one question share a type (validated by the loader), so comparisons are safe.
    if op == "in":
        assert isinstance(expected, tuple)
        return actual in expected
    assert not isinstance(expected, tuple)
    if op == "eq":
        return actual == expected
    if op == "lt":
        return actual < expected  # type: ignore[operator]
    if op == "le":
        return actual <= expected  # type: ignore[operator]
    if op == "gt":
        return actual > expected  # type: ignore[operator]
    if op == "ge":
        return actual >= expected  # type: ignore[operator]
    raise ValueError(f"unknown operator {op!r}")


@dataclass(frozen=True)
class Rule:
    """`goto` when every condition holds; no conditions means the default."""

    conditions: tuple[tuple[str, CondValue], ...]
    goto: str
    line: int = 0

    @property
    def is_default(self) -> bool:
        """True for the catch-all rule."""
        return not self.conditions

    def matches(self, value: RuleValue) -> bool:
        """Whether a typed answer value satisfies every condition."""
        return all(_compare(op, value, expected) for op, expected in self.conditions)

    def describe(self) -> str:
        """A short, language-neutral form for reviewers, e.g. `> 15` or `otherwise`."""
        if not self.conditions:
            return "otherwise"
        signs = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "in": "in"}
        parts = []
        for op, expected in self.conditions:
            shown = (
                "{" + ", ".join(_show(v) for v in expected) + "}"
                if isinstance(expected, tuple)
                else _show(expected)
            )
            parts.append(f"{signs[op]} {shown}")
        return " and ".join(parts)


def _show(value: RuleValue) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def format_number(value: float) -> str:
    """The normalized string of a number answer: `17`, not `17.0`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class DurationRange:
    """One button of a duration question: durations up to `limit_days` (open-ended if None)."""

    option: str
    limit_days: float | None
    inclusive: bool = True

    def contains_upper(self, days: float) -> bool:
        """Whether `days` is below this range's upper limit (ranges are checked in order)."""
        if self.limit_days is None:
            return True
        return days <= self.limit_days if self.inclusive else days < self.limit_days


@dataclass(frozen=True)
class Question:
    """One question; answered by an option id (buttons) or a typed number/date/duration."""

    id: str
    kind: str
    options: tuple[str, ...] = ()
    ranges: tuple[DurationRange, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = True
    next_map: Mapping[str, str] | None = None
    rules: tuple[Rule, ...] = ()
    line: int = 0

    @property
    def has_buttons(self) -> bool:
        """Whether the question is answered with option buttons."""
        return self.kind in OPTION_KINDS

    @property
    def accepts_text(self) -> bool:
        """Whether a typed answer is parsed (number, date, duration)."""
        return self.kind in {"number", "date", "duration"}

    def targets(self) -> list[str]:
        """Every node id this question can lead to, without duplicates, in file order."""
        found = list(self.next_map.values()) if self.next_map is not None else []
        found += [rule.goto for rule in self.rules]
        return list(dict.fromkeys(found))

    def typed_value(self, value: str) -> RuleValue:
        """Turn a normalized answer string into the value rules compare; ValueError if bad."""
        if self.kind == "number":
            return float(value)
        if self.kind == "date":
            return date.fromisoformat(value)
        if value not in self.options:
            raise ValueError(f"{value!r} is not an option of {self.id}")
        return value

    def route(self, value: str) -> str | None:
        """The target for a normalized answer, or None if nothing matches (loader prevents it)."""
        typed = self.typed_value(value)
        if self.next_map is not None:
            return self.next_map.get(value)
        for rule in self.rules:
            if rule.matches(typed):
                return rule.goto
        return None

    def matching_rule(self, value: str) -> Rule | None:
        """The first rule a normalized answer matches (None for mapping-style `next`)."""
        typed = self.typed_value(value)
        return next((rule for rule in self.rules if rule.matches(typed)), None)


@dataclass(frozen=True)
class Outcome:
    """Where a path ends: a result, related FAQ items and whether to offer a caseworker."""

    id: str
    result: str
    related: tuple[str, ...] = ()
    contact: bool = False
    line: int = 0


@dataclass(frozen=True)
class Source:
    """A public source the flow's rules are built from."""

    title: str
    url: str


TextValue = str | tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    """A text and where it came from: its language, and whether that was a fallback."""

    text: TextValue
    lang: str
    fallback: bool
    draft: bool = False

    def __str__(self) -> str:
        return self.text if isinstance(self.text, str) else "\n".join(self.text)


# Keys shared by every flow, under `common:` in text/<lang>/flows.yaml.
COMMON_KEYS: tuple[str, ...] = ("yes", "no", "because", "answer_line")


@dataclass
class FlowTexts:
    """One flow's texts in every language, looked up along a language chain.

    Keys are flow-relative: `title`, `intro`, `q.<qid>.text|hint|summary`, `q.<qid>.opt.<id>`,
    `o.<oid>.title|explanation|next_steps`, and `common.<key>` for the shared ones.
    """

    by_lang: dict[str, dict[str, TextValue]] = field(default_factory=dict)
    drafts: dict[str, bool] = field(default_factory=dict)

    def get(self, key: str, chain: Sequence[str]) -> Resolved | None:
        """The first language in `chain` that has `key`, or None if none has it."""
        for i, lang in enumerate(chain):
            value = self.by_lang.get(lang, {}).get(key)
            if value is not None:
                return Resolved(value, lang, i > 0, self.drafts.get(lang, False))
        return None

    def text(self, key: str, chain: Sequence[str]) -> Resolved:
        """Like `get`, but a missing text becomes the key itself (the loader makes that rare)."""
        found = self.get(key, chain)
        return found if found is not None else Resolved(key, chain[0] if chain else "", True)

    def title(self, chain: Sequence[str]) -> Resolved:
        """The flow's title."""
        return self.text("title", chain)

    def intro(self, chain: Sequence[str]) -> Resolved:
        """The flow's introduction, shown before the first question."""
        return self.text("intro", chain)

    def question(self, qid: str, chain: Sequence[str]) -> Resolved:
        """A question's text."""
        return self.text(f"q.{qid}.text", chain)

    def hint(self, qid: str, chain: Sequence[str]) -> Resolved | None:
        """A question's optional hint (e.g. how to type a duration)."""
        return self.get(f"q.{qid}.hint", chain)

    def summary(self, qid: str, chain: Sequence[str]) -> Resolved:
        """A question's short label for "because you answered" lines."""
        return self.text(f"q.{qid}.summary", chain)

    def option(self, qid: str, option: str, chain: Sequence[str]) -> Resolved:
        """An option's button label; yes/no fall back to the shared labels per language."""
        for i, lang in enumerate(chain):
            texts = self.by_lang.get(lang, {})
            value = texts.get(f"q.{qid}.opt.{option}")
            if value is None and option in YES_NO:
                value = texts.get(f"common.{option}")
            if value is not None:
                return Resolved(value, lang, i > 0, self.drafts.get(lang, False))
        return Resolved(option, chain[0] if chain else "", True)

    def outcome_title(self, oid: str, chain: Sequence[str]) -> Resolved:
        """An outcome's title."""
        return self.text(f"o.{oid}.title", chain)

    def outcome_label(self, oid: str, chain: Sequence[str]) -> Resolved | None:
        """An outcome's own result label ("You match the profile the pilot served"), if any.

        Shown under the title instead of the generic label of its `result`, which is only a
        fallback: "Likely eligible" is wrong for a closed pilot or for "no registration needed".
        """
        return self.get(f"o.{oid}.label", chain)

    def outcome_explanation(self, oid: str, chain: Sequence[str]) -> Resolved:
        """An outcome's explanation."""
        return self.text(f"o.{oid}.explanation", chain)

    def next_steps(self, oid: str, chain: Sequence[str]) -> Resolved:
        """An outcome's next steps; `.text` is a tuple of strings."""
        found = self.get(f"o.{oid}.next_steps", chain)
        return found if found is not None else Resolved((), chain[0] if chain else "", True)

    def common(self, key: str, chain: Sequence[str]) -> Resolved:
        """A shared text: `yes`, `no`, `because`, `answer_line`."""
        return self.text(f"common.{key}", chain)


@dataclass
class Flow:
    """A validated questionnaire: structure plus texts."""

    id: str
    version: int
    topic: str
    sources: tuple[Source, ...]
    last_checked: date
    reviewed: bool
    start: str
    questions: dict[str, Question]
    outcomes: dict[str, Outcome]
    texts: FlowTexts = field(default_factory=FlowTexts)
    file: str = ""
    line: int = 0

    def node(self, node_id: str) -> Question | Outcome:
        """A question or outcome by id; KeyError if unknown."""
        if node_id in self.questions:
            return self.questions[node_id]
        return self.outcomes[node_id]

    def callback_data(self, question_id: str, answer: str) -> str:
        """The button payload for an answer to one of this flow's questions."""
        return callback_data(self.id, self.version, question_id, answer)
