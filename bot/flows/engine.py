"""The questionnaire engine: pure functions over a flow and the list of answers so far."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel.core import UnknownLocaleError
from babel.dates import format_date

from bot.content.normalize import served
from bot.content.textrules import TextRules
from bot.flows.model import (
    Answer,
    Flow,
    Outcome,
    Question,
    Resolved,
    Rule,
    Source,
    format_number,
)
from bot.numbers import parse_int

INVALID_CODES: tuple[str, ...] = (
    "not_an_option",
    "not_a_number",
    "out_of_range",
    "future_date",
    "bad_date",
    "bad_duration",
)


class StaleAnswers(Exception):
    """The answers no longer fit the flow (it changed, or a button was pressed twice).

    `valid` is how many leading answers still fit, so a caller can keep them.
    """

    def __init__(self, message: str, valid: int = 0) -> None:
        super().__init__(message)
        self.valid = valid


class InvalidAnswer(ValueError):
    """A typed answer could not be used; `code` is one of INVALID_CODES for the UI to translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- parsing typed answers -------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([^\W\d_]+)\.?")


def parse_duration_days(raw: str, rules: TextRules | None = None) -> float:
    """Days in a typed duration like "3 months", "1 year 2 months", "2 həftə"; ValueError if not.

    The words for units and the filler around them ("ago", "назад") are every language's
    `durations` in text/<lang>/language.yaml (`rules`; the served pack's when not given).
    """
    rules = rules or served()
    days_per_unit, filler = rules.days_per_unit, rules.duration_filler
    text = raw.strip().lower().replace(",", ".")
    total = 0.0
    found = False
    for match in _DURATION_PART.finditer(text):
        unit = days_per_unit.get(match.group(2))
        if unit is None:
            if match.group(2) in filler:
                continue
            raise ValueError(f"unknown unit {match.group(2)!r}")
        total += float(match.group(1)) * unit
        found = True
    leftover = [w for w in _DURATION_PART.sub(" ", text).split() if w not in filler]
    if not found or leftover or not math.isfinite(total):
        raise ValueError(f"not a duration: {raw!r}")
    return total


_NUMBER = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)(.*)$")
_ISO_DATE = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")


def _parse_number(question: Question, raw: str) -> str:
    # A trailing word is allowed so "45 years" or "20 дней" work as well as "45".
    match = _NUMBER.match(raw.strip())
    if not match or not all(ch.isalpha() or ch in " ." for ch in match.group(2)):
        raise InvalidAnswer("not_a_number")
    text = match.group(1).replace(",", ".")
    if question.integer and "." in text:
        raise InvalidAnswer("not_a_number")
    value = float(text)
    if (question.min is not None and value < question.min) or (
        question.max is not None and value > question.max
    ):
        raise InvalidAnswer("out_of_range")
    return format_number(value)


def _parse_date(raw: str, today: date) -> str:
    text = raw.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY_DATE.match(text):
        # Day first, as written in Azerbaijan, Russia and most of Europe.
        day, month, year = (int(g) for g in match.groups())
    else:
        raise InvalidAnswer("bad_date")
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidAnswer("bad_date") from None
    if value.year < 1900:
        raise InvalidAnswer("bad_date")
    if value > today:
        raise InvalidAnswer("future_date")
    return value.isoformat()


MAX_TYPED = 64  # longer input is not an answer; also keeps parsing cheap
_TOO_LONG_CODE = {"number": "not_a_number", "date": "bad_date", "duration": "bad_duration"}


def duration_option(question: Question, days: float) -> str:
    """The duration option whose range holds `days`."""
    for rng in question.ranges:
        if rng.contains_upper(days):
            return rng.option
    # The loader guarantees an open-ended last range; keep a sane answer anyway.
    return question.ranges[-1].option


def parse_answer(question: Question, raw: str, today: date | None = None) -> str:
    """Normalize a typed (or button) answer; raise InvalidAnswer with a code the UI translates.

    Option questions take an option id; a duration also takes "3 months"; a number takes
    digits (min/max inclusive); a date takes YYYY-MM-DD or DD.MM.YYYY, never in the future.
    """
    text = raw.strip()
    if len(text) > MAX_TYPED:
        raise InvalidAnswer(_TOO_LONG_CODE.get(question.kind, "not_an_option"))
    if question.kind in {"yes_no", "choice"}:
        if text in question.options:
            return text
        raise InvalidAnswer("not_an_option")
    if question.kind == "duration":
        if text in question.options:
            return text
        try:
            days = parse_duration_days(text)
        except ValueError:
            raise InvalidAnswer("bad_duration") from None
        return duration_option(question, days)
    if question.kind == "number":
        return _parse_number(question, text)
    if question.kind == "date":
        return _parse_date(text, today or date.today())
    raise InvalidAnswer("not_an_option")


def typed_option(
    question: Question, text: str, labels: Mapping[str, str], yes_no: str | None = None
) -> str | None:
    """The option of a button question that a typed answer names, or None.

    Takes the option's number as shown ("2"), the person's yes or no in any language
    (`yes_no`, from the pack's answer words) for yes/no questions, and the option's label
    or part of it ("depo", "Депортирован").
    """
    from bot.content.intents import match_choice

    raw = text.strip()
    if len(raw) > MAX_TYPED or not question.has_buttons:
        return None
    if question.kind == "yes_no" and yes_no in question.options:
        return yes_no
    number = parse_int(raw, low=1, high=len(question.options))
    if number is not None and question.kind != "duration":
        return question.options[number - 1]
    if raw.isdecimal():
        return None
    return match_choice(raw, {option: labels.get(option, option) for option in question.options})


# --- walking a flow ----------------------------------------------------------------------


def _valid_value(question: Question, value: str) -> bool:
    try:
        typed = question.typed_value(value)
    except ValueError:
        return False
    if question.kind == "number":
        assert isinstance(typed, float)
        if question.integer and not typed.is_integer():
            return False
        if question.min is not None and typed < question.min:
            return False
        if question.max is not None and typed > question.max:
            return False
    return True


def _walk(flow: Flow, answers: Sequence[Answer]) -> Question | Outcome:
    node: Question | Outcome = flow.node(flow.start)
    for index, (qid, value) in enumerate(answers):
        if not isinstance(node, Question):
            raise StaleAnswers(f"answer {index + 1} comes after the outcome", index)
        if qid != node.id:
            raise StaleAnswers(f"expected an answer to {node.id!r}, got {qid!r}", index)
        if not _valid_value(node, value):
            raise StaleAnswers(f"{value!r} is not a valid answer to {qid!r}", index)
        target = node.route(value)
        if target is None:
            raise StaleAnswers(f"{value!r} leads nowhere from {qid!r}", index)
        node = flow.node(target)
    return node


def next_step(flow: Flow, answers: Sequence[Answer]) -> Question | Outcome:
    """The next question to ask, or the outcome; StaleAnswers if the answers don't fit."""
    return _walk(flow, answers)


def _longest(flow: Flow, node_id: str, memo: dict[str, int]) -> int:
    # Questions on the longest remaining path, counting this node; flows are acyclic.
    if node_id in memo:
        return memo[node_id]
    node = flow.node(node_id)
    length = 0
    if isinstance(node, Question):
        length = 1 + max((_longest(flow, t, memo) for t in node.targets()), default=0)
    memo[node_id] = length
    return length


def progress(flow: Flow, answers: Sequence[Answer]) -> tuple[int, int]:
    """("Question 2 of 5"): the current question's number and the total on the longest path."""
    node = _walk(flow, answers)
    done = len(answers)
    if isinstance(node, Outcome):
        return done, done
    return done + 1, done + _longest(flow, node.id, {})


def back(answers: Sequence[Answer]) -> list[Answer]:
    """The answers without the last one (nothing to drop at the start)."""
    return list(answers[:-1])


@dataclass(frozen=True)
class Explanation:
    """The outcome reached and the ordered answers that led there."""

    outcome: Outcome
    answers: tuple[Answer, ...]


def explain(flow: Flow, answers: Sequence[Answer], outcome: Outcome | str) -> Explanation:
    """Why `outcome` was reached; StaleAnswers if these answers do not lead there."""
    wanted = outcome if isinstance(outcome, str) else outcome.id
    node = _walk(flow, answers)
    if not isinstance(node, Outcome) or node.id != wanted:
        reached = node.id
        raise StaleAnswers(f"answers lead to {reached!r}, not {wanted!r}", len(answers))
    return Explanation(node, tuple(answers))


# --- enumerating answers and paths ---------------------------------------------------------


def _constants(rules: Sequence[Rule]) -> list[float]:
    values: list[float] = []
    for rule in rules:
        for _op, expected in rule.conditions:
            items = expected if isinstance(expected, tuple) else (expected,)
            for item in items:
                if isinstance(item, date):
                    values.append(float(item.toordinal()))
                elif isinstance(item, float | int):
                    values.append(float(item))
    return values


def _scalar_candidates(question: Question) -> list[float]:
    """One value from every class of answers the rules can tell apart (numbers or day numbers)."""
    consts = sorted(set(_constants(question.rules)))
    lo = question.min if question.kind == "number" else None
    hi = question.max if question.kind == "number" else None
    whole = question.kind == "date" or question.integer
    cands: set[float] = set()
    if whole:
        for c in consts:
            cands.update(
                float(v) for v in (math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1)
            )
    else:
        cands.update(consts)
        cands.update((a + b) / 2 for a, b in itertools.pairwise(consts))
        if consts:
            cands.update({consts[0] - 1, consts[-1] + 1})
    if lo is not None:
        cands.add(float(math.ceil(lo)) if whole else float(lo))
    if hi is not None:
        cands.add(float(math.floor(hi)) if whole else float(hi))
    if not cands:
        cands.add(0.0 if lo is None else float(lo))
    inside = [
        c
        for c in cands
        if (lo is None or c >= lo) and (hi is None or c <= hi) and (not whole or c.is_integer())
    ]
    if question.kind == "date":
        inside = [c for c in inside if c >= 1]
    return sorted(inside)


def _scalar_str(question: Question, value: float) -> str:
    if question.kind == "date":
        return date.fromordinal(int(value)).isoformat()
    return format_number(value)


def answer_classes(question: Question) -> list[str]:
    """Normalized answers, one per class the routing can tell apart (all options for buttons)."""
    if question.has_buttons:
        return list(question.options)
    return [_scalar_str(question, c) for c in _scalar_candidates(question)]


def _first_rule(question: Question, value: str) -> int | None:
    typed = question.typed_value(value)
    return next((i for i, r in enumerate(question.rules) if r.matches(typed)), None)


def branches(question: Question) -> list[tuple[str, str]]:
    """(representative answer, target) pairs: every option, or one boundary value per rule."""
    if question.has_buttons:
        found = []
        for option in question.options:
            target = question.route(option)
            if target is not None:
                found.append((option, target))
        return found
    cands = _scalar_candidates(question)
    consts = _constants(question.rules)
    result: list[tuple[str, str]] = []
    for index, rule in enumerate(question.rules):
        hits = [c for c in cands if _first_rule(question, _scalar_str(question, c)) == index]
        if not hits:
            continue
        # Prefer the value nearest the rule's own boundary so reviewers see the edge case.
        own = _constants([rule]) or consts
        best = min(hits, key=lambda c: (min((abs(c - k) for k in own), default=0.0), c))
        result.append((_scalar_str(question, best), rule.goto))
    return result


def all_paths(flow: Flow) -> list[tuple[list[Answer], str]]:
    """Every path from the start to an outcome (representative values for typed answers)."""
    paths: list[tuple[list[Answer], str]] = []

    def visit(node_id: str, trail: list[Answer], seen: frozenset[str]) -> None:
        node = flow.node(node_id)
        if isinstance(node, Outcome):
            paths.append((trail, node.id))
            return
        if node_id in seen:  # the loader rejects cycles; guard anyway
            return
        for value, target in branches(node):
            visit(target, [*trail, (node.id, value)], seen | {node_id})

    visit(flow.start, [], frozenset())
    return paths


# --- texts for the handlers -------------------------------------------------------------------


def answer_label(flow: Flow, qid: str, value: str, chain: Sequence[str]) -> str:
    """How an answer reads to a person: the option's label, the number, or a local date."""
    question = flow.questions[qid]
    if question.has_buttons:
        return str(flow.texts.option(qid, value, chain))
    if question.kind == "date":
        try:
            return format_date(date.fromisoformat(value), format="long", locale=chain[0])
        except (ValueError, LookupError, UnknownLocaleError):
            return value  # an unknown locale or value: the ISO date is still readable
    return value


def answer_lines(flow: Flow, answers: Sequence[Answer], chain: Sequence[str]) -> list[str]:
    """One "Returned from an EU country: Yes" line per answer, using the shared template."""
    template = str(flow.texts.common("answer_line", chain))
    lines = []
    for qid, value in answers:
        summary = str(flow.texts.summary(qid, chain))
        label = answer_label(flow, qid, value, chain)
        try:
            lines.append(template.format(question=summary, answer=label))
        except (KeyError, IndexError, ValueError):
            lines.append(f"{summary}: {label}")
    return lines


@dataclass(frozen=True)
class QuestionView:
    """Everything a handler needs to show the current question."""

    flow_id: str
    version: int
    question: Question
    text: str
    hint: str | None
    options: tuple[tuple[str, str, str], ...]  # (option id, label, callback data)
    number: int
    total: int
    fallback: bool


@dataclass(frozen=True)
class OutcomeView:
    """Everything a handler needs to show an outcome and why it was reached."""

    flow_id: str
    outcome: Outcome
    title: str
    explanation: str
    next_steps: tuple[str, ...]
    because: str
    answer_lines: tuple[str, ...]
    related: tuple[str, ...]
    contact: bool
    sources: tuple[Source, ...]
    last_checked: date
    reviewed: bool
    fallback: bool
    # The outcome's own result label from the pack; None means "use the generic one".
    label: str | None = None


def view(flow: Flow, answers: Sequence[Answer], chain: Sequence[str]) -> QuestionView | OutcomeView:
    """The current step rendered in the first available language of `chain`."""
    node = _walk(flow, answers)
    texts = flow.texts
    if isinstance(node, Question):
        number, total = progress(flow, answers)
        text = texts.question(node.id, chain)
        hint = texts.hint(node.id, chain)
        labels = [texts.option(node.id, o, chain) for o in node.options]
        used: list[Resolved] = [text, *labels, *([hint] if hint else [])]
        return QuestionView(
            flow_id=flow.id,
            version=flow.version,
            question=node,
            text=str(text),
            hint=str(hint) if hint else None,
            options=tuple(
                (o, str(label), flow.callback_data(node.id, o))
                for o, label in zip(node.options, labels, strict=True)
            ),
            number=number,
            total=total,
            fallback=any(r.fallback for r in used),
        )
    title = texts.outcome_title(node.id, chain)
    label = texts.outcome_label(node.id, chain)
    explanation = texts.outcome_explanation(node.id, chain)
    steps = texts.next_steps(node.id, chain)
    because = texts.common("because", chain)
    step_list = steps.text if isinstance(steps.text, tuple) else (steps.text,)
    return OutcomeView(
        flow_id=flow.id,
        outcome=node,
        title=str(title),
        explanation=str(explanation),
        next_steps=tuple(step_list),
        because=str(because),
        answer_lines=tuple(answer_lines(flow, answers, chain)),
        related=node.related,
        contact=node.contact,
        sources=flow.sources,
        last_checked=flow.last_checked,
        reviewed=flow.reviewed,
        fallback=any(r.fallback for r in (title, explanation, steps)),
        label=str(label) if label is not None else None,
    )
