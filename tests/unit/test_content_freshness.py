"""`content check` source hygiene, draft/reviewed counts, and outcome labels of flows."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.content.check import coverage, main
from bot.content.freshness import Freshness, is_homepage, source_warnings
from bot.content.loader import inspect_pack, load_pack
from bot.content.model import Source
from bot.flows import load_flows
from bot.flows.engine import OutcomeView, view
from bot.flows.model import Flow
from bot.i18n import Catalogs, Tr
from bot.ui.flows import outcome

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "fixtures" / "packs" / "good"
FLOWS = REPO / "tests" / "fixtures" / "flows" / "basic"
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://mfa.gov.az",
        "https://mfa.gov.az/",
        "https://en.trend.az",
        "https://migration.gov.az/en",
        "https://migration.gov.az/index.php/en/",
        "https://asan.gov.az/az/index.html",
        "https://example.org/?lang=en",
    ],
)
def test_homepages_are_recognised(url: str) -> None:
    assert is_homepage(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://migration.gov.az/en/oyq",
        "https://migration.gov.az/index.php/en/page/37",
        "https://www.bpqmi.gov.az/?/az/menu/22/",  # the page is chosen in the query
        "https://help.unhcr.org/azerbaijan/how-to-apply-for-asylum-in-azerbaijan/apply/",
        "https://core.telegram.org/bots/api#user",
    ],
)
def test_pages_are_not_homepages(url: str) -> None:
    assert not is_homepage(url)


def test_source_warnings_age_and_future() -> None:
    fresh = Freshness(TODAY, 365)
    page = [Source("SMS", "https://migration.gov.az/en/oyq")]
    assert source_warnings(page, date(2026, 11, 1), fresh) == []
    old = source_warnings(page, date(2025, 11, 30), fresh)
    assert len(old) == 1 and "366 days ago" in old[0]
    assert source_warnings(page, date(2025, 11, 30), Freshness(TODAY, 400)) == []
    assert "in the future" in source_warnings(page, date(2027, 1, 1), fresh)[0]


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "good"
    shutil.copytree(GOOD, root)
    return root


def _warnings(root: Path, freshness: Freshness) -> list[str]:
    _pack, problems = inspect_pack(root, freshness)
    return [str(p) for p in problems if p.severity == "warning"]


def test_shipped_fixture_is_clean_and_warnings_only_with_freshness(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert _warnings(root, Freshness(TODAY)) == []
    # An old date warns under `content check`, but the bot's own load does not judge dates.
    assert _warnings(root, Freshness(date(2028, 1, 1))) != []
    _pack, problems = inspect_pack(root)
    assert [p for p in problems if p.severity == "warning"] == []


def test_homepage_source_and_unsourced_number_warn(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    faq = root / "faq" / "documents.yaml"
    text = faq.read_text(encoding="utf-8")
    assert text.count("https://migration.gov.az/en/oyq") == 1
    faq.write_text(
        text.replace("https://migration.gov.az/en/oyq", "https://migration.gov.az/en/"),
        encoding="utf-8",
    )
    found = _warnings(root, Freshness(TODAY))
    assert any("doc.registration" in w and "is a homepage" in w for w in found)
    # Its answer says "15 days": a number with no page behind it, in each language that says it.
    numbers = [w for w in found if "states a number" in w]
    assert numbers and all("doc.registration" in w for w in numbers)
    assert any(w.startswith("good/text/en/faq.yaml:") for w in numbers)
    assert any(w.startswith("good/text/ru/faq.yaml:") for w in numbers)


def test_old_last_checked_warns_with_a_configurable_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    assert main(root, quiet=True, today=date(2027, 12, 1)) == 0
    out = capsys.readouterr().out
    assert "last_checked 2026-11-01 is 395 days ago (more than 365)" in out
    assert main(root, quiet=True, today=date(2027, 12, 1), max_age_days=450) == 0
    assert capsys.readouterr().out.strip() == "0 errors, 0 warnings: pack OK"


def test_coverage_counts_drafts_and_reviewed_separately() -> None:
    rows = {row.lang: row for row in coverage(load_pack(GOOD))}
    # az: both files draft, so its 2 items and 3 labels are drafts; ru: one item marked draft.
    assert (rows["az"].draft_count, rows["az"].reviewed_count) == (5, 0)
    assert (rows["ru"].draft_count, rows["ru"].reviewed_count) == (1, 2)
    assert (rows["en"].draft_count, rows["en"].reviewed_count) == (0, 17)


def test_report_has_draft_and_reviewed_columns_and_confirmed_facts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(GOOD, today=TODAY) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-3:] == ["draft", "reviewed", "status"]
    az = next(line for line in lines if line.startswith("az "))
    assert az.split()[-3:] == ["5", "0", "draft"]
    assert any(line.startswith("facts confirmed by a caseworker") for line in lines)


def test_ui_coverage_counts_fuzzy_entries_as_drafts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.i18n_tools as tools

    po = tmp_path / "ru" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, fuzzy\nmsgid "Back"\nmsgstr "Назад"\n\n'
        'msgid "Main menu"\nmsgstr "Главное меню"\n\n'
        'msgid "Start over"\nmsgstr ""\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(tools, "LOCALES_DIR", tmp_path)
    assert tools.ui_coverage() == {"ru": (2, 3, 1)}


def test_real_catalogs_report_their_drafts() -> None:
    from bot.i18n_tools import ui_coverage

    for lang, (done, total, fuzzy) in ui_coverage().items():
        assert done == total, lang
        assert 0 <= fuzzy <= done, lang


# --- outcome labels ----------------------------------------------------------------------


def _flow_pack(tmp_path: Path, label: bool) -> Path:
    root = tmp_path / "flows"
    shutil.copytree(FLOWS, root)
    if label:
        en = root / "text" / "en" / "flows.yaml"
        text = en.read_text(encoding="utf-8")
        old = '        title: "Ask us"\n'
        assert text.count(old) == 1
        en.write_text(
            text.replace(old, old + '        label: "A caseworker decides this"\n'),
            encoding="utf-8",
        )
    return root


def _tr() -> Tr:
    catalogs = Catalogs()
    catalogs.load([("en", "ltr", ())])
    return catalogs.tr("en")


def _minor_outcome(root: Path) -> tuple[Flow, OutcomeView]:
    flows, problems, _ = load_flows(root, ["en", "ru"], "en", {"faq.one", "faq.two"})
    assert [p for p in problems if p.severity == "error"] == []
    flow = flows["demo"]
    step = view(flow, [("member", "yes"), ("kind", "a"), ("age", "12")], ["en"])
    assert isinstance(step, OutcomeView)
    return flow, step


def test_outcome_label_from_the_pack_replaces_the_generic_result_label(tmp_path: Path) -> None:
    flow, step = _minor_outcome(_flow_pack(tmp_path, label=True))
    assert step.label == "A caseworker decides this"
    tr = _tr()
    pack = load_pack(GOOD)
    screen = outcome(pack, flow, step, tr)
    assert "<i>A caseworker decides this</i>" in screen.text
    assert "Unclear: a caseworker should look at this" not in screen.text


def test_without_a_label_the_generic_result_label_is_the_fallback(tmp_path: Path) -> None:
    flow, step = _minor_outcome(_flow_pack(tmp_path, label=False))
    assert step.label is None
    screen = outcome(load_pack(GOOD), flow, step, _tr())
    assert "<i>Unclear: a caseworker should look at this</i>" in screen.text


def test_label_must_be_one_short_line(tmp_path: Path) -> None:
    root = _flow_pack(tmp_path, label=True)
    en = root / "text" / "en" / "flows.yaml"
    en.write_text(
        en.read_text(encoding="utf-8").replace("A caseworker decides this", "x" * 130),
        encoding="utf-8",
    )
    _flows, problems, _ = load_flows(root, ["en", "ru"], "en", {"faq.one", "faq.two"})
    assert any(
        "result label is one short line" in p.message and p.severity == "warning" for p in problems
    )
