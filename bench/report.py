"""The results table on the terminal and bench/RESULTS.md."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Row, Section, git_commit, machine

_HEADERS = ("benchmark", "metric", "value", "baseline", "ratio", "target", "")


def _cells(row: Row) -> tuple[str, ...]:
    return (row.bench, row.metric, row.value, row.baseline, row.ratio, row.target, row.verdict)


def terminal(sections: Sequence[Section]) -> str:
    """A fixed-width table of every row."""
    rows = [_HEADERS] + [_cells(r) for s in sections for r in s.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADERS))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(sections: Sequence[Section], command: str, total_seconds: float, quick: bool) -> str:
    """RESULTS.md: machine, commit, date, parameters, every figure, targets and why."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (`make bench`); rerun it rather than editing this file.",
        "Ratios are against a baseline measured in the same run on the same machine.",
        "",
        f"- **date:** {now}",
        f"- **commit measured:** `{git_commit()}`",
        f"- **command:** `{command}`" + (" (quick smoke run: small sizes)" if quick else ""),
        f"- **total time:** {total_seconds / 60:.1f} min",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [f"| {k} | {_md_escape(v)} |" for k, v in machine()]
    out += [
        "",
        "## Results",
        "",
        "| " + " | ".join(h or "verdict" for h in _HEADERS) + " |",
        "|" + "---|" * len(_HEADERS),
    ]
    for section in sections:
        for row in section.rows:
            out.append("| " + " | ".join(_md_escape(c) for c in _cells(row)) + " |")
    out += ["", "## Targets, parameters and why", ""]
    for section in sections:
        out += [f"### {section.title}", ""]
        if section.others_cores > 0.2:
            out += [
                f"> Other processes used {section.others_cores:.1f} cores on average while this "
                "ran (other work on this shared machine): the figures below are pessimistic.",
                "",
            ]
        if section.params:
            out += ["Parameters:", ""] + [f"- {p}" for p in section.params] + [""]
        out += [*section.notes, ""]
        out += [
            f"_(this benchmark took {section.seconds:.0f} s; other processes on the machine used "
            f"{section.others_cores:.2f} cores on average meanwhile)_",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
