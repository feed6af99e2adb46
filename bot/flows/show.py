"""`flows show ID`: every path of a flow as a table, so caseworkers review rules, not YAML."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.content.yamlio import LineDict, YamlError, load_yaml
from bot.flows.engine import all_paths, answer_label
from bot.flows.loader import load_flows
from bot.flows.model import Flow


def read_languages(root: Path) -> tuple[list[str], str, dict[str, list[str]]]:
    """(enabled language codes, default language, fallback list per code) from languages.yaml."""
    try:
        data = load_yaml(root / "languages.yaml")
    except (OSError, YamlError):
        return ["en"], "en", {}
    if not isinstance(data, LineDict):
        return ["en"], "en", {}
    default = str(data.get("default", "en"))
    codes: list[str] = []
    fallbacks: dict[str, list[str]] = {}
    for entry in data.get("languages") or []:
        if not isinstance(entry, LineDict) or "code" not in entry:
            continue
        code = str(entry["code"])
        if entry.get("enabled", True) is not False:
            codes.append(code)
        fallbacks[code] = [str(x) for x in entry.get("fallback") or []]
    return codes or [default], default, fallbacks


def language_chain(lang: str, default: str, fallbacks: dict[str, list[str]]) -> list[str]:
    """The order texts are looked up in: the language, its fallbacks, then the default."""
    return list(dict.fromkeys([lang, *fallbacks.get(lang, []), default]))


def read_faq_ids(root: Path) -> set[str]:
    """Every `items[].id` in faq/*.yaml (unreadable files are skipped: `content check` reports them)."""
    ids: set[str] = set()
    for path in sorted((root / "faq").glob("*.yaml")):
        try:
            data = load_yaml(path)
        except YamlError:
            continue
        items = data.get("items") if isinstance(data, LineDict) else None
        for item in items or []:
            if isinstance(item, LineDict) and isinstance(item.get("id"), str):
                ids.add(item["id"])
    return ids


def _answer_cell(flow: Flow, qid: str, value: str, chain: Sequence[str]) -> str:
    summary = str(flow.texts.summary(qid, chain))
    label = answer_label(flow, qid, value, chain)
    question = flow.questions[qid]
    rule = question.matching_rule(value) if question.rules and not question.has_buttons else None
    # Typed answers show the rule they fell under: "16 (> 15)" tells a reviewer the boundary.
    suffix = f" ({rule.describe()})" if rule is not None else ""
    return f"{summary}: {label}{suffix}"


def render_paths(flow: Flow, chain: Sequence[str]) -> str:
    """The flow's header and a table with one row per path: answers, outcome, result."""
    header = ["#", "Answers", "Outcome", "Result"]
    rows: list[list[list[str]]] = []
    for number, (answers, outcome_id) in enumerate(all_paths(flow), start=1):
        outcome = flow.outcomes[outcome_id]
        title = str(flow.texts.outcome_title(outcome_id, chain))
        label = flow.texts.outcome_label(outcome_id, chain)
        contact = ["caseworker offered"] if outcome.contact else []
        rows.append(
            [
                [str(number)],
                [_answer_cell(flow, q, v, chain) for q, v in answers],
                [outcome_id, title, *([f"label: {label}"] if label is not None else [])],
                [outcome.result, *contact],
            ]
        )
    widths = [
        max(len(header[i]), *(len(line) for row in rows for line in row[i])) for i in range(4)
    ]

    def fmt(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    lines = [
        f"{flow.id} v{flow.version}: {flow.texts.title(chain)}",
        f"last checked {flow.last_checked.isoformat()}, "
        + ("reviewed" if flow.reviewed else "NOT reviewed by a caseworker yet"),
        *(f"source: {s.title} <{s.url}>" for s in flow.sources),
        "",
        fmt(header),
        rule,
    ]
    for row in rows:
        height = max(len(cell) for cell in row)
        for i in range(height):
            lines.append(fmt([cell[i] if i < len(cell) else "" for cell in row]))
        lines.append(rule)
    lines.append(f"{len(rows)} paths")
    return "\n".join(lines) + "\n"


def main(
    root: Path, flow_id: str, lang: str = "en", out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print every path of `flow_id`; unknown id → list the available ones and return 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    codes, default, fallbacks = read_languages(root)
    if lang not in codes:
        print(f"warning: language {lang!r} is not enabled in languages.yaml", file=err)
    flows, problems, _coverage = load_flows(root, codes, default, read_faq_ids(root))
    for problem in problems:
        if problem.file.endswith(f"{flow_id}.yaml") or problem.severity == "error":
            print(problem, file=err)
    flow = flows.get(flow_id)
    if flow is None:
        known = ", ".join(sorted(flows)) or "none"
        if (root / "flows" / f"{flow_id}.yaml").exists():
            print(f"flow {flow_id!r} has errors (see above); valid flows: {known}", file=err)
        else:
            print(f"unknown flow {flow_id!r}; available: {known}", file=err)
        return 1
    out.write(render_paths(flow, language_chain(lang, default, fallbacks)))
    return 0


def cli(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: `python -m bot.flows.show ID [--lang ru] [--content DIR]`."""
    parser = argparse.ArgumentParser(prog="flows show", description=__doc__)
    parser.add_argument("flow_id")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--content", type=Path, default=Path("content"))
    args = parser.parse_args(argv)
    return main(args.content, args.flow_id, args.lang)


if __name__ == "__main__":
    raise SystemExit(cli())
