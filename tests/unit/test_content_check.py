"""Coverage rows, the report, and `content check` exit codes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content.check import CoverageRow, coverage, format_report, main
from bot.content.loader import inspect_pack, load_pack
from bot.content.model import Pack
from bot.content.problems import Problem

PACKS = Path(__file__).parents[1] / "fixtures" / "packs"
GOOD = PACKS / "good"
REAL = Path(__file__).parents[2] / "content"


def test_coverage_counts_own_texts_only() -> None:
    rows = {row.lang: row for row in coverage(load_pack(GOOD))}
    assert list(rows) == ["az", "ru", "en", "fa", "tr"]
    # 6 topics + 2 audiences + 2 contacts + 2 categories = 12 labels.
    assert rows["en"].counts == {"items": (5, 5), "labels": (12, 12)}
    assert rows["az"].counts == {"items": (2, 5), "labels": (3, 12)}
    assert rows["ru"].counts == {"items": (2, 5), "labels": (1, 12)}
    assert rows["fa"].counts == {"items": (1, 5), "labels": (0, 12)}
    assert (rows["az"].status, rows["ru"].status, rows["en"].status) == (
        "draft",
        "reviewed",
        "reviewed",
    )
    assert rows["tr"].status == "no texts, disabled"
    assert rows["fa"].name == "فارسی"


def test_format_report_table_problems_summary() -> None:
    rows = [
        CoverageRow("en", "English", {"items": (5, 5), "labels": (12, 12)}, draft=False),
        CoverageRow("az", "Azərbaycanca", {"items": (2, 5), "flows": (0, 3)}, draft=True),
    ]
    problems = [
        Problem("content/topics.yaml", 7, "invalid YAML"),
        Problem("content/text/en/faq.yaml", 3, "title too long", "warning"),
    ]
    report = format_report(problems, rows)
    lines = report.splitlines()
    assert lines[0].split() == [
        "lang",
        "name",
        "items",
        "labels",
        "flows",
        "draft",
        "reviewed",
        "status",
    ]
    assert lines[2].split() == [
        "en",
        "English",
        "5/5",
        "100%",
        "12/12",
        "100%",
        "-",
        "0",
        "17",
        "reviewed",
    ]
    assert lines[3].split() == [
        "az",
        "Azərbaycanca",
        "2/5",
        "40%",
        "-",
        "0/3",
        "0%",
        "0",
        "2",
        "draft",
    ]
    assert "content/topics.yaml:7: error: invalid YAML" in report
    assert "content/text/en/faq.yaml:3: warning: title too long" in report
    assert lines[-1] == "1 error, 1 warning: the bot will not start with this pack"
    assert format_report([], []).splitlines() == ["0 errors, 0 warnings: pack OK"]


TODAY = date(2026, 12, 1)


def test_main_good_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(GOOD, quiet=False, today=TODAY) == 0
    out = capsys.readouterr().out
    assert "Azərbaycanca" in out
    assert out.strip().endswith("0 errors, 0 warnings: pack OK")


def test_main_quiet_prints_only_problems_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(PACKS / "bad_yaml", quiet=True, today=TODAY) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("bad_yaml/topics.yaml:7: error: invalid YAML")
    assert out[-1] == "1 error, 0 warnings: the bot will not start with this pack"
    assert main(GOOD, quiet=True, today=TODAY) == 0
    assert capsys.readouterr().out.strip() == "0 errors, 0 warnings: pack OK"


def test_main_with_extra_checks(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Pack] = []

    def extra(pack: Pack) -> tuple[list[Problem], dict[str, dict[str, tuple[int, ...]]]]:
        seen.append(pack)
        return (
            [Problem("content/flows/restart.yaml", 4, "unknown question 'q9'")],
            {"en": {"flows": (2, 2)}, "az": {"flows": (1, 2)}},
        )

    assert main(GOOD, quiet=False, extra=extra, today=TODAY) == 1
    assert len(seen) == 1
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["lang", "name", "items", "labels", "flows", "draft", "reviewed", "status"]
    assert "content/flows/restart.yaml:4: error: unknown question 'q9'" in out

    def warn_only(pack: Pack) -> tuple[list[Problem], dict[str, dict[str, tuple[int, ...]]]]:
        return [Problem("content/routing.yaml", 2, "unused team", "warning")], {}

    assert main(GOOD, quiet=True, extra=warn_only, today=TODAY) == 0
    assert "0 errors, 1 warning: pack OK" in capsys.readouterr().out


def test_extra_is_not_called_on_a_broken_pack(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(PACKS / "bad_yaml", root)

    def extra(pack: Pack) -> tuple[list[Problem], dict[str, dict[str, tuple[int, ...]]]]:
        raise AssertionError("must not run without a pack")

    assert main(root, quiet=True, extra=extra, today=TODAY) == 1


@pytest.mark.skipif(not (REAL / "languages.yaml").exists(), reason="no real content pack yet")
def test_real_content_pack_has_no_errors() -> None:
    pack, problems = inspect_pack(REAL)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == []
    assert pack is not None
    assert pack.items
    assert pack.emergency_contacts()
    assert pack.call_centre in pack.contacts
