"""Load and validate flows/<id>.yaml and text/<lang>/flows.yaml, reporting file and line."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot import callbacks
from bot.content.problems import Problem, Reporter, line_of, relative
from bot.content.yamlio import LineDict, YamlError, load_yaml
from bot.flows.engine import answer_classes, parse_duration_days
from bot.flows.model import (
    CALLBACK_LIMIT,
    COMMON_KEYS,
    KINDS,
    OPS,
    OPTION_KINDS,
    RESULTS,
    YES_NO,
    CondValue,
    DurationRange,
    Flow,
    FlowTexts,
    Outcome,
    Question,
    Rule,
    RuleValue,
    Source,
    TextValue,
)

FLOW_ID = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,11}$")
OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,11}$")
MAX_TEXT = 3500  # one Telegram message with room for the source footer
MAX_LABEL = 64  # longer button labels get cut off on phones
MAX_RESULT_LABEL = 120  # an outcome's own result label: one short line under its title

_FLOW_KEYS = {"id", "version", "topic", "sources", "last_checked", "reviewed", "start"}
_FLOW_KEYS |= {"questions", "outcomes"}
_QUESTION_KEYS = {"id", "kind", "options", "min", "max", "integer", "next"}
_OUTCOME_KEYS = {"id", "result", "related", "contact"}


def _key(value: Any) -> str:
    # YAML 1.1 reads bare yes/no as booleans and yamlio stringifies keys; undo that for ids.
    if value is True or value == "True":
        return "yes"
    if value is False or value == "False":
        return "no"
    return str(value)


# --- structure ---------------------------------------------------------------------------


def _parse_options(
    q: LineDict, kind: str, qid: str, rep: Reporter
) -> tuple[tuple[str, ...], tuple[DurationRange, ...]]:
    raw = q.get("options")
    line = q.line_of("options")
    if kind == "yes_no":
        if raw is not None:
            rep.error(line, f"question {qid}: yes_no questions have fixed options (yes, no)")
        return YES_NO, ()
    if kind not in ("choice", "duration"):
        if raw is not None:
            rep.error(line, f"question {qid}: {kind} questions take no options")
        return (), ()
    if not isinstance(raw, list) or len(raw) < 2:
        rep.error(line, f"question {qid}: {kind} needs a list of at least two options")
        return (), ()
    options: list[str] = []
    ranges: list[DurationRange] = []
    for index, item in enumerate(raw):
        item_line = line_of(item, line)
        if kind == "choice":
            oid = _key(item)
        else:
            if not isinstance(item, LineDict) or "id" not in item:
                rep.error(item_line, f"question {qid}: a duration option is {{id, upto|below}}")
                continue
            oid = _key(item["id"])
            bounds = [k for k in ("upto", "below") if k in item]
            extra = set(item) - {"id", "upto", "below"}
            if extra or len(bounds) > 1:
                rep.error(item_line, f"question {qid}: option {oid} takes id and one of upto/below")
                continue
            last = index == len(raw) - 1
            if last and bounds:
                rep.error(item_line, f"question {qid}: the last duration option must be open-ended")
            if not last and not bounds:
                rep.error(item_line, f"question {qid}: option {oid} needs upto or below")
            limit: float | None = None
            if bounds:
                try:
                    limit = parse_duration_days(str(item[bounds[0]]))
                except ValueError:
                    rep.error(item_line, f"question {qid}: {item[bounds[0]]!r} is not a duration")
                    continue
                previous = ranges[-1].limit_days if ranges else None
                if previous is not None and limit <= previous:
                    rep.error(item_line, f"question {qid}: duration options must go up")
            ranges.append(DurationRange(oid, limit, bounds != ["below"]))
        if not OPTION_ID.match(oid):
            rep.error(item_line, f"question {qid}: option id {oid!r} must be 1-12 of a-z 0-9 _")
        if oid in options:
            rep.error(item_line, f"question {qid}: duplicate option {oid!r}")
        options.append(oid)
    return tuple(options), tuple(ranges)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _cond_value(kind: str, options: tuple[str, ...], raw: Any) -> RuleValue | None:
    if kind in OPTION_KINDS:
        value = _key(raw)
        return value if value in options else None
    if kind == "number":
        return _number(raw)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def _parse_rules(q: LineDict, question: Question, rep: Reporter) -> tuple[Rule, ...]:
    raw = q["next"]
    line = q.line_of("next")
    if isinstance(raw, str):
        return (Rule((), raw, line),)
    assert isinstance(raw, list)
    rules: list[Rule] = []
    for index, item in enumerate(raw):
        item_line = line_of(item, line)
        if not isinstance(item, LineDict) or not isinstance(item.get("goto"), str):
            rep.error(
                item_line, f"question {question.id}: a rule is {{when: {{op: value}}, goto: id}}"
            )
            continue
        rep.keys(item, f"a rule of {question.id}", {"when", "goto"})
        when = item.get("when")
        conditions: list[tuple[str, CondValue]] = []
        if when is not None:
            if not isinstance(when, LineDict) or not when:
                rep.error(item_line, f"question {question.id}: `when` maps an operator to a value")
                continue
            for op, raw_value in when.items():
                op_line = when.line_of(op)
                allowed = ("eq", "in") if question.kind in OPTION_KINDS else OPS
                if op not in allowed:
                    rep.error(
                        op_line,
                        f"question {question.id}: operator {op!r} not allowed for {question.kind} "
                        f"(use {', '.join(allowed)})",
                    )
                    continue
                values = raw_value if op == "in" else [raw_value]
                if op == "in" and (not isinstance(raw_value, list) or not raw_value):
                    rep.error(op_line, f"question {question.id}: `in` takes a non-empty list")
                    continue
                parsed = [_cond_value(question.kind, question.options, v) for v in values]
                if any(p is None for p in parsed):
                    rep.error(
                        op_line,
                        f"question {question.id}: "
                        f"{raw_value!r} is not a valid {question.kind} answer",
                    )
                    continue
                clean = [p for p in parsed if p is not None]
                conditions.append((op, tuple(clean) if op == "in" else clean[0]))
        elif index != len(raw) - 1:
            rep.error(
                item_line, f"question {question.id}: the default rule (no `when`) must come last"
            )
        rules.append(Rule(tuple(conditions), item["goto"], item_line))
    return tuple(rules)


def _parse_question(q: Any, rep: Reporter) -> Question | None:
    if not isinstance(q, LineDict):
        rep.error(line_of(q, 0), "a question is a mapping with id, kind and next")
        return None
    rep.keys(q, "a question", _QUESTION_KEYS)
    qid = _key(q.get("id", ""))
    if not NODE_ID.match(qid):
        rep.error(
            q.line_of("id"),
            f"question id {qid!r} must be 1-12 of a-z 0-9 _, starting with a letter",
        )
    kind = q.get("kind")
    if kind not in KINDS:
        rep.error(q.line_of("kind"), f"question {qid}: kind must be one of {', '.join(KINDS)}")
        return None
    options, ranges = _parse_options(q, kind, qid, rep)
    lo = hi = None
    for bound in ("min", "max"):
        if bound in q and (kind != "number" or _number(q[bound]) is None):
            rep.error(
                q.line_of(bound), f"question {qid}: {bound} must be a number on a number question"
            )
    if kind == "number":
        lo, hi = _number(q.get("min")), _number(q.get("max"))
        if lo is not None and hi is not None and lo > hi:
            rep.error(q.line_of("min"), f"question {qid}: min is above max")
    integer = q.get("integer", True)
    if not isinstance(integer, bool) or ("integer" in q and kind != "number"):
        rep.error(
            q.line_of("integer"), f"question {qid}: integer is true/false, on number questions"
        )
        integer = True
    question = Question(qid, kind, options, ranges, lo, hi, integer, line=q.line)
    raw_next = q.get("next")
    if raw_next is None:
        rep.error(q.line, f"question {qid}: no `next`: every answer must lead somewhere (dead end)")
        return question
    if isinstance(raw_next, LineDict):
        if kind not in OPTION_KINDS:
            rep.error(
                q.line_of("next"), f"question {qid}: {kind} answers route with rules, not a mapping"
            )
            return question
        mapping: dict[str, str] = {}
        for key, target in raw_next.items():
            option = _key(key)
            if option not in options:
                rep.error(
                    raw_next.line_of(key), f"question {qid}: {option!r} is not one of its options"
                )
            elif not isinstance(target, str):
                rep.error(
                    raw_next.line_of(key), f"question {qid}: target of {option!r} must be an id"
                )
            else:
                mapping[option] = target
        for option in options:
            if option not in mapping:
                rep.error(
                    q.line_of("next"), f"question {qid}: answer {option!r} leads nowhere (dead end)"
                )
        return Question(qid, kind, options, ranges, lo, hi, integer, mapping, (), q.line)
    if not isinstance(raw_next, str | list):
        rep.error(q.line_of("next"), f"question {qid}: next is an id, a mapping or a list of rules")
        return question
    question = Question(qid, kind, options, ranges, lo, hi, integer, None, (), q.line)
    rules = _parse_rules(q, question, rep)
    question = Question(qid, kind, options, ranges, lo, hi, integer, None, rules, q.line)
    _check_rule_coverage(question, q.line_of("next"), rep)
    return question


def _check_rule_coverage(question: Question, line: int, rep: Reporter) -> None:
    """Every class of answers must match a rule, and every rule should match something."""
    if not question.rules:
        rep.error(line, f"question {question.id}: no rules (dead end)")
        return
    used: set[int] = set()
    for value in answer_classes(question):
        typed = question.typed_value(value)
        index = next((i for i, r in enumerate(question.rules) if r.matches(typed)), None)
        if index is None:
            rep.error(
                line,
                f"question {question.id}: answer {value} matches no rule (dead end): "
                f"add a default {{goto: ...}}",
            )
            return
        used.add(index)
    for index, rule in enumerate(question.rules):
        if index not in used:
            rep.warning(
                rule.line,
                f"question {question.id}: "
                "this rule never applies (earlier rules catch its answers)",
            )


def _parse_outcome(o: Any, faq_ids: set[str], rep: Reporter) -> Outcome | None:
    if not isinstance(o, LineDict):
        rep.error(line_of(o, 0), "an outcome is a mapping with id and result")
        return None
    rep.keys(o, "an outcome", _OUTCOME_KEYS)
    oid = _key(o.get("id", ""))
    if not NODE_ID.match(oid):
        rep.error(
            o.line_of("id"), f"outcome id {oid!r} must be 1-12 of a-z 0-9 _, starting with a letter"
        )
    result = o.get("result")
    if result not in RESULTS:
        rep.error(o.line_of("result"), f"outcome {oid}: result must be one of {', '.join(RESULTS)}")
    related = o.get("related", [])
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        rep.error(o.line_of("related"), f"outcome {oid}: related is a list of FAQ item ids")
        related = []
    for item in related:
        if item not in faq_ids:
            rep.error(o.line_of("related"), f"outcome {oid}: unknown FAQ item {item!r}")
    contact = o.get("contact", False)
    if not isinstance(contact, bool):
        rep.error(o.line_of("contact"), f"outcome {oid}: contact is true or false")
        contact = False
    return Outcome(oid, str(result), tuple(related), contact, o.line)


def _parse_sources(data: LineDict, rep: Reporter) -> tuple[Source, ...]:
    raw = data.get("sources")
    if not isinstance(raw, list) or not raw:
        rep.error(data.line_of("sources"), "sources: at least one {title, url} is required")
        return ()
    sources = []
    for item in raw:
        if (
            not isinstance(item, LineDict)
            or not isinstance(item.get("title"), str)
            or not isinstance(item.get("url"), str)
            or not str(item["url"]).startswith(("https://", "http://"))
        ):
            rep.error(
                line_of(item, data.line_of("sources")),
                "a source is {title, url} with an http(s) url",
            )
            continue
        sources.append(Source(item["title"], item["url"]))
    return tuple(sources)


def _check_graph(flow: Flow, rep: Reporter) -> None:
    """Known targets, a start question, no cycles, nothing unreachable."""
    ids = set(flow.questions) | set(flow.outcomes)
    for q in flow.questions.values():
        for target in q.targets():
            if target not in ids:
                rep.error(q.line, f"question {q.id}: unknown target {target!r}")
    if flow.start not in flow.questions:
        rep.error(flow.line, f"start {flow.start!r} is not a question of this flow")
        return
    # Iterative DFS with colours: grey on the stack means a back edge, i.e. a cycle.
    state: dict[str, int] = {}
    reported: set[str] = set()

    def visit(root: str) -> None:
        stack: list[tuple[str, list[str]]] = [(root, [])]
        path: list[str] = []
        while stack:
            node, pending = stack[-1]
            if node not in state:
                state[node] = 1
                path.append(node)
                q = flow.questions.get(node)
                pending.extend(t for t in (q.targets() if q else []) if t in ids)
            if pending:
                nxt = pending.pop(0)
                if state.get(nxt) == 1 and nxt not in reported:
                    cycle = [*path[path.index(nxt) :], nxt]
                    reported.add(nxt)
                    rep.error(flow.questions[nxt].line, "cycle: " + " → ".join(cycle))
                elif nxt not in state:
                    stack.append((nxt, []))
            else:
                state[node] = 2
                path.pop()
                stack.pop()

    visit(flow.start)
    for node_id in [*flow.questions, *flow.outcomes]:
        if node_id not in state:
            node = flow.node(node_id)
            what = "question" if isinstance(node, Question) else "outcome"
            rep.error(node.line, f"{what} {node_id} is unreachable from start {flow.start}")
    for node_id in flow.questions:
        if node_id not in state:
            visit(node_id)  # still report cycles among unreachable questions


def _parse_flow(path: Path, root: Path, faq_ids: set[str], problems: list[Problem]) -> Flow | None:
    rep = Reporter(relative(path, root), problems)
    try:
        data = load_yaml(path)
    except YamlError as exc:
        rep.error(exc.line, exc.message)
        return None
    if not isinstance(data, LineDict):
        rep.error(0, "a flow file is a mapping (id, version, questions, outcomes, ...)")
        return None
    rep.keys(data, "a flow", _FLOW_KEYS)
    fid = data.get("id")
    if not isinstance(fid, str) or not FLOW_ID.match(fid):
        rep.error(data.line_of("id"), "id must be 1-24 of a-z 0-9 _, starting with a letter")
        fid = path.stem
    elif fid != path.stem:
        rep.error(data.line_of("id"), f"id {fid!r} must match the file name {path.stem!r}")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        rep.error(
            data.line_of("version"),
            "version must be a whole number from 1 (bump it when questions change)",
        )
        version = 1
    topic = data.get("topic", "eligibility")
    if not isinstance(topic, str):
        rep.error(data.line_of("topic"), "topic must be a topic id")
        topic = "eligibility"
    sources = _parse_sources(data, rep)
    try:
        last_checked = date.fromisoformat(str(data.get("last_checked")))
    except ValueError:
        rep.error(data.line_of("last_checked"), "last_checked must be a date YYYY-MM-DD")
        last_checked = date.min
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, bool):
        rep.error(data.line_of("reviewed"), "reviewed must be true or false")
        reviewed = False
    questions: dict[str, Question] = {}
    outcomes: dict[str, Outcome] = {}
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        rep.error(data.line_of("questions"), "questions: a non-empty list is required")
        raw_questions = []
    raw_outcomes = data.get("outcomes")
    if not isinstance(raw_outcomes, list) or not raw_outcomes:
        rep.error(data.line_of("outcomes"), "outcomes: a non-empty list is required")
        raw_outcomes = []
    for raw in raw_questions:
        q = _parse_question(raw, rep)
        if q is None:
            continue
        if q.id in questions:
            rep.error(q.line, f"duplicate question id {q.id!r}")
        questions[q.id] = q
        for option in q.options:
            data_str = callbacks.FlowAnswer(fid, version, q.id, option).text()
            size = callbacks.size(data_str)
            if size > CALLBACK_LIMIT:
                rep.error(
                    q.line,
                    f"question {q.id}: button data {data_str!r} is {size} bytes, "
                    f"over {CALLBACK_LIMIT}",
                )
    for raw in raw_outcomes:
        o = _parse_outcome(raw, faq_ids, rep)
        if o is None:
            continue
        if o.id in outcomes or o.id in questions:
            rep.error(o.line, f"duplicate id {o.id!r} (questions and outcomes share ids)")
        outcomes[o.id] = o
    start = data.get("start")
    if not isinstance(start, str):
        rep.error(data.line_of("start"), "start must be a question id")
        start = ""
    flow = Flow(
        fid,
        version,
        topic,
        sources,
        last_checked,
        reviewed,
        start,
        questions,
        outcomes,
        file=rep.file,
        line=data.line,
    )
    if rep.errors == 0:
        _check_graph(flow, rep)
    return flow if rep.errors == 0 else None


# --- texts -----------------------------------------------------------------------------------


def _required_keys(flow: Flow) -> list[str]:
    keys = ["title", "intro"]
    for q in flow.questions.values():
        keys += [f"q.{q.id}.text", f"q.{q.id}.summary"]
        if q.kind != "yes_no":
            keys += [f"q.{q.id}.opt.{o}" for o in q.options]
    for o in flow.outcomes.values():
        keys += [f"o.{o.id}.title", f"o.{o.id}.explanation", f"o.{o.id}.next_steps"]
    return keys


class _LangTexts:
    """One language's flows.yaml, flattened: (flow or "common", key) → value and line."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], TextValue] = {}
        self.lines: dict[tuple[str, str], int] = {}
        self.flow_lines: dict[str, int] = {}
        self.draft = False
        self.found = False


def _text(value: Any, key: str, line: int, rep: Reporter) -> TextValue | None:
    if key.endswith(".next_steps"):
        if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
            rep.error(line, f"{key}: next_steps is a list of texts")
            return None
        if not value:
            rep.warning(line, f"{key}: no next steps")
        for step in value:
            if len(step) > MAX_TEXT:
                rep.error(line, f"{key}: a step is longer than {MAX_TEXT} characters")
        return tuple(s.strip() for s in value)
    if not isinstance(value, str) or not value.strip():
        rep.error(line, f"{key}: must be non-empty text")
        return None
    if len(value) > MAX_TEXT:
        rep.error(line, f"{key}: longer than {MAX_TEXT} characters")
    if ".opt." in key and len(value.strip()) > MAX_LABEL:
        rep.warning(line, f"{key}: button label longer than {MAX_LABEL} characters")
    if key.endswith(".label") and (len(value.strip()) > MAX_RESULT_LABEL or "\n" in value.strip()):
        rep.warning(
            line, f"{key}: a result label is one short line (at most {MAX_RESULT_LABEL} characters)"
        )
    if key == "answer_line":
        try:
            value.format(question="q", answer="a")
        except (KeyError, IndexError, ValueError):
            rep.error(line, "answer_line may only use {question} and {answer}")
            return None
    return value.strip()


def _load_texts(
    path: Path, root: Path, flows: dict[str, Flow], problems: list[Problem]
) -> _LangTexts:
    out = _LangTexts()
    rep = Reporter(relative(path, root), problems)
    if not path.exists():
        return out
    try:
        data = load_yaml(path)
    except YamlError as exc:
        rep.error(exc.line, exc.message)
        return out
    if not isinstance(data, LineDict):
        rep.error(0, "a texts file is a mapping with draft, common and flows")
        return out
    out.found = True
    rep.keys(data, "a texts file", {"draft", "common", "flows"})
    draft = data.get("draft")
    if not isinstance(draft, bool):
        rep.error(data.line_of("draft"), "draft: true or false is required at the top")
    out.draft = draft is True
    common = data.get("common", LineDict())
    if isinstance(common, LineDict):
        for key, value in common.items():
            name = _key(key)
            if name not in COMMON_KEYS:
                rep.warning(common.line_of(key), f"unknown common text {name!r}")
                continue
            text = _text(value, name, common.line_of(key), rep)
            if text is not None:
                out.values["common", name] = text
                out.lines["common", name] = common.line_of(key)
    else:
        rep.error(data.line_of("common"), "common maps keys to texts")
    raw_flows = data.get("flows", LineDict())
    if not isinstance(raw_flows, LineDict):
        rep.error(data.line_of("flows"), "flows maps flow ids to their texts")
        return out
    for fid, entry in raw_flows.items():
        line = raw_flows.line_of(fid)
        out.flow_lines[fid] = line
        if not isinstance(entry, LineDict):
            rep.error(line, f"{fid}: texts of a flow are a mapping")
            continue
        flow = flows.get(fid)
        if flow is None:
            rep.warning(line, f"texts for unknown flow {fid!r}")
        _flatten_flow(fid, entry, flow, out, rep)
    return out


def _flatten_flow(
    fid: str, entry: LineDict, flow: Flow | None, out: _LangTexts, rep: Reporter
) -> None:
    def put(key: str, value: Any, line: int) -> None:
        text = _text(value, f"{fid}.{key}", line, rep)
        if text is not None:
            out.values[fid, key] = text
            out.lines[fid, key] = line

    rep.keys(entry, f"texts of {fid}", {"title", "intro", "questions", "outcomes"})
    for key in ("title", "intro"):
        if key in entry:
            put(key, entry[key], entry.line_of(key))
    questions = entry.get("questions", LineDict())
    if not isinstance(questions, LineDict):
        rep.error(entry.line_of("questions"), f"{fid}: questions map question ids to texts")
        questions = LineDict()
    for qid, qtexts in questions.items():
        qline = questions.line_of(qid)
        out.lines[fid, f"q.{qid}"] = qline
        question = flow.questions.get(qid) if flow else None
        if flow and question is None:
            rep.warning(qline, f"{fid}: texts for unknown question {qid!r}")
        if not isinstance(qtexts, LineDict):
            rep.error(qline, f"{fid}.{qid}: question texts are a mapping")
            continue
        rep.keys(qtexts, f"texts of {fid}.{qid}", {"text", "hint", "summary", "options"})
        for key in ("text", "hint", "summary"):
            if key in qtexts:
                put(f"q.{qid}.{key}", qtexts[key], qtexts.line_of(key))
        labels = qtexts.get("options", LineDict())
        if not isinstance(labels, LineDict):
            rep.error(qtexts.line_of("options"), f"{fid}.{qid}: options map option ids to labels")
            continue
        for option, label in labels.items():
            oid = _key(option)
            if question and oid not in question.options:
                rep.warning(
                    labels.line_of(option), f"{fid}.{qid}: label for unknown option {oid!r}"
                )
            put(f"q.{qid}.opt.{oid}", label, labels.line_of(option))
    outcomes = entry.get("outcomes", LineDict())
    if not isinstance(outcomes, LineDict):
        rep.error(entry.line_of("outcomes"), f"{fid}: outcomes map outcome ids to texts")
        outcomes = LineDict()
    for oid, otexts in outcomes.items():
        oline = outcomes.line_of(oid)
        out.lines[fid, f"o.{oid}"] = oline
        if flow and oid not in flow.outcomes:
            rep.warning(oline, f"{fid}: texts for unknown outcome {oid!r}")
        if not isinstance(otexts, LineDict):
            rep.error(oline, f"{fid}.{oid}: outcome texts are a mapping")
            continue
        rep.keys(otexts, f"texts of {fid}.{oid}", {"title", "label", "explanation", "next_steps"})
        for key in ("title", "label", "explanation", "next_steps"):
            if key in otexts:
                put(f"o.{oid}.{key}", otexts[key], otexts.line_of(key))


def _missingline_of(texts: _LangTexts, fid: str, key: str) -> int:
    # Point at the nearest existing parent: the question/outcome entry, else the flow entry.
    parts = key.split(".")
    if len(parts) >= 2 and (fid, ".".join(parts[:2])) in texts.lines:
        return texts.lines[fid, ".".join(parts[:2])]
    return texts.flow_lines.get(fid, 0)


def load_flows(
    root: Path, languages: Sequence[str], default_language: str, faq_ids: set[str]
) -> tuple[dict[str, Flow], list[Problem], dict[str, tuple[int, int]]]:
    """Load every flow under `root`/flows with its texts: (flows, problems, coverage per language).

    Flows with errors are left out. Coverage is (texts present, texts needed) per language,
    where "needed" is every text the default language must have plus optional ones it has.
    """
    problems: list[Problem] = []
    flows: dict[str, Flow] = {}
    for path in sorted((root / "flows").glob("*.yaml")):
        flow = _parse_flow(path, root, faq_ids, problems)
        if flow is not None:
            flows[flow.id] = flow
    langs = list(dict.fromkeys([default_language, *languages]))
    texts = {
        lang: _load_texts(root / "text" / lang / "flows.yaml", root, flows, problems)
        for lang in langs
    }
    default = texts[default_language]
    default_file = relative(root / "text" / default_language / "flows.yaml", root)
    if flows and not default.found:
        problems.append(
            Problem(default_file, 0, f"missing: every flow text must exist in {default_language}")
        )
    needed: list[tuple[str, str]] = [("common", k) for k in COMMON_KEYS]
    for fid, flow in flows.items():
        needed += [(fid, k) for k in _required_keys(flow)]
    for scope, key in needed:
        if (scope, key) not in default.values and default.found:
            line = default.lines.get((scope, key)) or _missingline_of(default, scope, key)
            problems.append(
                Problem(default_file, line, f"missing {default_language} text: {scope}.{key}")
            )
    needed_set = set(needed)
    optional = [k for k in default.values if k[0] in flows and k not in needed_set]
    counted = [*needed, *optional]
    coverage = {
        lang: (sum(1 for k in counted if k in t.values), len(counted)) for lang, t in texts.items()
    }
    for fid, flow in flows.items():
        flow.texts = FlowTexts(
            by_lang={
                lang: {
                    **{f"common.{k}": v for (scope, k), v in t.values.items() if scope == "common"},
                    **{k: v for (scope, k), v in t.values.items() if scope == fid},
                }
                for lang, t in texts.items()
            },
            drafts={lang: t.draft for lang, t in texts.items()},
        )
    return flows, problems, coverage
