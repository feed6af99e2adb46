"""`flows show`: one table row per path, readable by a caseworker; unknown ids exit 1."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from bot.flows.show import language_chain, main, read_faq_ids, read_languages

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "flows" / "basic"

LANGUAGES = """default: en
languages:
  - {code: ru, fallback: [en], enabled: true}
  - {code: en, fallback: [], enabled: true}
  - {code: de, fallback: [en], enabled: false}
"""


def _pack(tmp_path: Path, faq_ids: list[str]) -> Path:
    root = tmp_path / "content"
    shutil.copytree(FIXTURE, root)
    (root / "languages.yaml").write_text(LANGUAGES, encoding="utf-8")
    (root / "faq").mkdir()
    items = "".join(f"  - id: {i}\n    topic: t\n" for i in faq_ids)
    (root / "faq" / "area.yaml").write_text(f"items:\n{items}", encoding="utf-8")
    return root


def _run(root: Path, flow_id: str, lang: str = "en") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(root, flow_id, lang, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_reads_languages_and_faq_ids(tmp_path: Path) -> None:
    root = _pack(tmp_path, ["faq.one", "faq.two"])
    codes, default, fallbacks = read_languages(root)
    assert (codes, default) == (["ru", "en"], "en")
    assert language_chain("ru", default, fallbacks) == ["ru", "en"]
    assert language_chain("en", default, fallbacks) == ["en"]
    assert read_faq_ids(root) == {"faq.one", "faq.two"}


def test_show_prints_one_row_per_path(tmp_path: Path) -> None:
    code, out, err = _run(_pack(tmp_path, ["faq.one", "faq.two"]), "demo")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "demo v2: Demo title"
    assert "NOT reviewed" in lines[1]
    assert "source: Example source <https://example.org/rules>" in lines
    assert lines[-1] == "8 paths"
    rows = [line for line in lines if "|" in line and line[:2].strip().isdigit()]
    assert len(rows) == 8
    # Typed answers show the rule they fell under, so the boundary is visible.
    first = [line.split("|") for line in lines[6:9]]
    assert [[c.strip() for c in cells] for cells in first] == [
        ["1", "Member: Yes", "minor", "unclear"],
        ["", "Kind: Kind A", "Ask us", "caseworker offered"],
        ["", "Age: 17 (< 18)", "", ""],
    ]
    assert "Age: 18 (≥ 18 and ≤ 65)" in out
    assert "Arrived: January 1, 2020 (otherwise)" in out
    assert "caseworker offered" in out
    # Multi-line rows keep the columns aligned.
    assert len({line.index("|") for line in lines if "|" in line}) == 1


def test_show_in_another_language_falls_back(tmp_path: Path) -> None:
    code, out, _ = _run(_pack(tmp_path, ["faq.one", "faq.two"]), "demo", "ru")
    assert code == 0
    assert out.splitlines()[0] == "demo v2: Демо"
    assert "Member: Да" in out  # the Russian yes label, English summary as fallback


def test_unknown_flow_lists_available_ones(tmp_path: Path) -> None:
    code, out, err = _run(_pack(tmp_path, ["faq.one", "faq.two"]), "nope")
    assert code == 1
    assert out == ""
    assert "unknown flow 'nope'; available: demo" in err


def test_flow_with_errors_is_reported(tmp_path: Path) -> None:
    code, _, err = _run(_pack(tmp_path, ["faq.one"]), "demo")
    assert code == 1
    assert "unknown FAQ item 'faq.two'" in err
    assert "flow 'demo' has errors" in err


def test_show_shipped_flow(tmp_path: Path) -> None:
    content = REPO / "content"
    root = tmp_path / "content"
    shutil.copytree(content / "flows", root / "flows")
    for lang in ("en", "ru", "az"):
        (root / "text" / lang).mkdir(parents=True)
        shutil.copy(content / "text" / lang / "flows.yaml", root / "text" / lang / "flows.yaml")
    shutil.copy(content / "languages.yaml", root / "languages.yaml")
    related = sorted(
        {
            line.strip()[len("related: [") : -1]
            for path in (root / "flows").glob("*.yaml")
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip().startswith("related: [")
        }
    )
    ids = sorted({i.strip() for group in related for i in group.split(",")})
    (root / "faq").mkdir()
    (root / "faq" / "all.yaml").write_text(
        "items:\n" + "".join(f"  - id: {i}\n" for i in ids), encoding="utf-8"
    )
    code, out, _ = _run(root, "registration", "az")
    assert code == 0
    assert "Qalma günləri: 16 (> 15)" in out
    assert out.splitlines()[-1] == "6 paths"
