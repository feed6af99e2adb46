"""`content check`: validate the pack and print a translation coverage table per language."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.loader import inspect_pack
from bot.content.model import LABEL_SECTIONS, Pack
from bot.content.problems import Problem

# Extra checks another module contributes: its problems, and coverage columns as
# {lang: {column: (translated, total)}}.
Extra = Callable[[Pack], tuple[list[Problem], dict[str, dict[str, tuple[int, int]]]]]


@dataclass
class CoverageRow:
    """Translation coverage of one language; `counts` maps a column to (translated, total)."""

    lang: str
    name: str
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    draft: bool = False
    enabled: bool = True

    @property
    def status(self) -> str:
        """Draft until a native speaker reviewed the language, else reviewed (or no texts)."""
        if not any(done for done, _total in self.counts.values()):
            status = "no texts"
        else:
            status = "draft" if self.draft else "reviewed"
        return status if self.enabled else f"{status}, disabled"


def coverage(pack: Pack) -> list[CoverageRow]:
    """Items and labels each language has itself (not through fallback), in pack order."""
    wanted_labels: dict[str, Sequence[str]] = {
        "topics": list(pack.topics),
        "audiences": list(pack.audiences),
        "contacts": list(pack.contacts),
        "categories": list(pack.categories),
    }
    labels_total = sum(len(ids) for ids in wanted_labels.values())
    rows: list[CoverageRow] = []
    for code, lang in pack.languages.items():
        texts = pack.texts.get(code, {})
        items_done = sum(1 for item_id in pack.items if item_id in texts)
        labels = pack.labels.get(code, {})
        labels_done = sum(
            1
            for section in LABEL_SECTIONS
            for label_id in wanted_labels[section]
            if label_id in labels.get(section, {})
        )
        rows.append(
            CoverageRow(
                lang=code,
                name=lang.name,
                counts={
                    "items": (items_done, len(pack.items)),
                    "labels": (labels_done, labels_total),
                },
                draft=pack.text_drafts.get(code, False),
                enabled=lang.enabled,
            )
        )
    return rows


def _cell(done: int, total: int) -> str:
    if total == 0:
        return "-"
    return f"{done}/{total} {100 * done // total}%"


def format_table(rows: Sequence[CoverageRow]) -> str:
    """The coverage table alone: language, name, one column per counts key, status."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row.counts if key not in columns)
    header = ["lang", "name", *columns, "status"]
    body = [
        [
            row.lang,
            row.name,
            *(_cell(*row.counts[c]) if c in row.counts else "-" for c in columns),
            row.status,
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary(problems: Sequence[Problem]) -> str:
    """One line: counts of errors and warnings and whether the bot would start."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    verdict = "the bot will not start with this pack" if errors else "pack OK"
    return (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}: {verdict}"
    )


def format_report(problems: Sequence[Problem], rows: Sequence[CoverageRow]) -> str:
    """Coverage table, then the problems, then a one-line summary."""
    parts: list[str] = []
    if rows:
        parts.append(format_table(rows))
    if problems:
        parts.append("\n".join(str(p) for p in sorted(problems)))
    parts.append(summary(problems))
    return "\n\n".join(parts)


def merge_extra(
    rows: list[CoverageRow], extra_counts: dict[str, dict[str, tuple[int, int]]]
) -> None:
    """Add columns from `extra` ({lang: {column: (done, total)}}) to the matching rows."""
    for row in rows:
        row.counts.update(extra_counts.get(row.lang, {}))


def main(root: Path, quiet: bool = False, extra: Extra | None = None) -> int:
    """Check the pack at `root`, print the report; 0 if it has no errors, else 1."""
    pack, problems = inspect_pack(root)
    rows: list[CoverageRow] = []
    if pack is not None:
        rows = coverage(pack)
        if extra is not None:
            extra_problems, extra_counts = extra(pack)
            problems = sorted([*problems, *extra_problems])
            merge_extra(rows, extra_counts)
    report = format_report(problems, [] if quiet else rows)
    print(report, file=sys.stdout)
    return 1 if any(p.severity == "error" for p in problems) else 0
