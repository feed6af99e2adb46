"""`flows show ID`: every path of a flow as a table, so caseworkers review rules, not YAML."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.content.loader import load_languages
from bot.content.model import Language, Languages
from bot.content.yamlio import LineDict, YamlError, load_yaml
from bot.flows.engine import all_paths, answer_label
from bot.flows.loader import load_flows
from bot.flows.model import Flow


def pack_languages(root: Path) -> Languages:
    """The pack's languages (as `content check` reads languages.yaml); English alone when the
    file has none it could read (`content check` reports why)."""
    languages, _problems = load_languages(root)
    if not languages.by_code:
        return Languages({"en": Language("en", "English")}, "en")
    if languages.default not in languages.by_code:
        return Languages(languages.by_code, next(iter(languages.by_code)))
    return languages


def read_languages(root: Path) -> tuple[list[str], str, dict[str, list[str]]]:
    """(enabled language codes, default language, fallback list per code) from languages.yaml."""
    languages = pack_languages(root)
    codes = [lang.code for lang in languages.enabled()]
    fallbacks = {code: list(lang.fallback) for code, lang in languages.by_code.items()}
    return codes or [languages.default], languages.default, fallbacks


def language_chain(lang: str, default: str, fallbacks: dict[str, list[str]]) -> list[str]:
    """The order texts are looked up in: the language, its fallbacks, then the default."""
    declared = {code: Language(code, code, fallback=tuple(f)) for code, f in fallbacks.items()}
    declared.setdefault(default, Language(default, default))
    return list(Languages(declared, default).chain(lang))


def read_faq_ids(root: Path) -> set[str]:
    """Every `items[].id` in faq/*.yaml (unreadable files are skipped: `content check` reports
    them)."""
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
    languages = pack_languages(root)
    codes = [language.code for language in languages.enabled()] or [languages.default]
    if lang not in codes:
        print(f"warning: language {lang!r} is not enabled in languages.yaml", file=err)
    flows, problems, _coverage = load_flows(root, codes, languages.default, read_faq_ids(root))
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
    out.write(render_paths(flow, languages.chain(lang) or (languages.default,)))
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
