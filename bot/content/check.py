"""`content check`: validate the pack and print a translation coverage table per language."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.content.freshness import DEFAULT_MAX_AGE_DAYS, Freshness
from bot.content.loader import inspect_pack
from bot.content.model import LABEL_SECTIONS, Pack
from bot.content.problems import Problem

# Extra checks another module contributes: its problems, and coverage columns as
# {lang: {column: (translated, total)}} or (translated, total, of them drafts).
Extra = Callable[[Pack], tuple[list[Problem], dict[str, dict[str, tuple[int, ...]]]]]


@dataclass
class CoverageRow:
    """Translation coverage of one language; `counts` maps a column to (translated, total).

    `drafts` maps a column to how many of its translated texts are drafts (machine-assisted
    or not yet reviewed by a native speaker: `draft: true` in the pack, `#, fuzzy` in a
    catalog), so the table tells translated-and-reviewed apart from merely present.
    """

    lang: str
    name: str
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    draft: bool = False
    enabled: bool = True
    drafts: dict[str, int] = field(default_factory=dict)

    @property
    def translated(self) -> int:
        return sum(done for done, _total in self.counts.values())

    @property
    def draft_count(self) -> int:
        return sum(
            min(self.drafts.get(column, 0), done) for column, (done, _t) in self.counts.items()
        )

    @property
    def reviewed_count(self) -> int:
        return self.translated - self.draft_count

    @property
    def status(self) -> str:
        """Draft until a native speaker reviewed the language's files, else reviewed (or no
        texts); single draft texts in a reviewed language show in the `draft` count."""
        if not self.translated:
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
        items_draft = sum(1 for item_id in pack.items if item_id in texts and texts[item_id].draft)
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
                drafts={
                    "items": items_draft,
                    "labels": labels_done if pack.label_drafts.get(code, False) else 0,
                },
            )
        )
    return rows


def facts_confirmed(pack: Pack) -> str:
    """One line: how many answers and contacts a caseworker has confirmed (`reviewed: true`)."""
    items = sum(1 for item in pack.items.values() if item.reviewed)
    contacts = sum(1 for contact in pack.contacts.values() if contact.reviewed)
    return (
        f"facts confirmed by a caseworker (reviewed: true): items {items}/{len(pack.items)},"
        f" contacts {contacts}/{len(pack.contacts)}"
    )


def _cell(done: int, total: int) -> str:
    if total == 0:
        return "-"
    return f"{done}/{total} {100 * done // total}%"


def format_table(rows: Sequence[CoverageRow]) -> str:
    """The coverage table alone: language, name, one column per counts key, status."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row.counts if key not in columns)
    header = ["lang", "name", *columns, "draft", "reviewed", "status"]
    body = [
        [
            row.lang,
            row.name,
            *(_cell(*row.counts[c]) if c in row.counts else "-" for c in columns),
            str(row.draft_count),
            str(row.reviewed_count),
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


def format_report(
    problems: Sequence[Problem], rows: Sequence[CoverageRow], notes: Sequence[str] = ()
) -> str:
    """Coverage table (and notes under it), then the problems, then a one-line summary."""
    parts: list[str] = []
    if rows:
        parts.append(format_table(rows))
        if notes:
            parts.append("\n".join(notes))
    if problems:
        parts.append("\n".join(str(p) for p in sorted(problems)))
    parts.append(summary(problems))
    return "\n\n".join(parts)


def merge_extra(
    rows: list[CoverageRow], extra_counts: dict[str, dict[str, tuple[int, ...]]]
) -> None:
    """Add columns from `extra` ({lang: {column: (done, total[, drafts])}}) to the rows."""
    for row in rows:
        for column, value in extra_counts.get(row.lang, {}).items():
            row.counts[column] = (value[0], value[1])
            row.drafts[column] = value[2] if len(value) > 2 else (value[0] if row.draft else 0)


def main(
    root: Path,
    quiet: bool = False,
    extra: Extra | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    today: date | None = None,
) -> int:
    """Check the pack at `root`, print the report; 0 if it has no errors, else 1.

    Sources are checked against `today` (default: the real date): a homepage source, a
    `last_checked` older than `max_age_days` and an unsourced number are warnings.
    """
    freshness = Freshness(today or date.today(), max_age_days)
    pack, problems = inspect_pack(root, freshness)
    rows: list[CoverageRow] = []
    notes: list[str] = []
    if pack is not None:
        rows = coverage(pack)
        notes.append(facts_confirmed(pack))
        if extra is not None:
            extra_problems, extra_counts = extra(pack)
            problems = sorted([*problems, *extra_problems])
            merge_extra(rows, extra_counts)
    report = format_report(problems, [] if quiet else rows, notes)
    print(report, file=sys.stdout)
    return 1 if any(p.severity == "error" for p in problems) else 0
