"""A language added with data files only: its stop words, letter folds, keyboard layout and
transliteration come from text/<lang>/language.yaml; bad data is a content-check problem with
file and line; a language without the file still works; `make i18n` creates its catalog."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest

from bot.content.check import main as check_main
from bot.content.loader import inspect_pack, load_pack
from bot.content.model import Pack
from bot.content.normalize import served
from bot.content.search import SearchIndex, query_tokens

PACKS = Path(__file__).parents[1] / "fixtures" / "packs"
EXTRA = PACKS / "extra_language"  # en + uk, uk added with data files only
TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(EXTRA)


@pytest.fixture(scope="module")
def index(pack: Pack) -> SearchIndex:
    return SearchIndex.build(pack)


def found(index: SearchIndex, pack: Pack, query: str, lang: str = "uk") -> list[str]:
    chain = pack.language_chain(lang)
    return [hit.item_id for hit in index.search(query, chain[0], chain[1:])]


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(EXTRA, root)
    return root


def test_the_pack_loads_cleanly_with_the_new_language(pack: Pack) -> None:
    _pack, problems = inspect_pack(EXTRA)
    assert problems == []
    assert [lang.code for lang in pack.enabled_languages()] == ["en", "uk"]
    assert [rules.code for rules in pack.text_rules.languages] == ["en", "uk"]


def test_its_stop_words_are_left_out_of_queries(pack: Pack) -> None:
    assert query_tokens("як отримати візу", pack.text_rules) == ["отримати", "візу"]
    # The shipped pack knows no Ukrainian: there "як" is a word like any other.
    assert query_tokens("як отримати візу", served()) == ["як", "отримати", "візу"]


def test_its_folds_apply_to_texts_and_queries(pack: Pack, index: SearchIndex) -> None:
    rules = pack.text_rules
    assert rules.normalize("Ґрунтовна сімʼя") == "грунтовна сім я"
    assert found(index, pack, "сімʼя") == ["family.reunion"]  # the text says сім'я
    # The text says Ґрунтовна.
    assert found(index, pack, "грунтовна перевірка") == ["family.reunion"]
    # Without the data, "сімʼя" (with U+02BC) is one word no text has.
    assert "сімʼя" in served().normalize("сімʼя").split()


def test_its_keyboard_layout_recovers_text_typed_with_qwerty_active(
    pack: Pack, index: SearchIndex
) -> None:
    assert pack.text_rules.layout_variants("dspf") == ["віза"]
    assert found(index, pack, "dspf") == ["doc.visa"]
    # The Russian layout puts ы where Ukrainian has і: the shipped rules read "выза".
    assert served().layout_variants("dspf") == ["выза"]


def test_its_transliteration_reads_latin_typing(pack: Pack, index: SearchIndex) -> None:
    assert pack.text_rules.transliterate("viza", "uk") == "віза"
    assert found(index, pack, "viza") == ["doc.visa"]
    assert pack.text_rules.stems("консульстві") and not pack.text_rules.stems("ویزا")


def test_its_words_for_units_of_time_read_typed_durations(pack: Pack) -> None:
    from bot.flows.engine import parse_duration_days

    assert parse_duration_days("3 місяці тому", pack.text_rules) == parse_duration_days("3 months")
    assert parse_duration_days("1 рік і 2 тижні", pack.text_rules) == 365.25 + 14
    with pytest.raises(ValueError):
        parse_duration_days("3 місяці")  # the shipped pack has no Ukrainian words


def test_a_language_without_language_yaml_still_works(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "text" / "uk" / "language.yaml").unlink()
    pack, problems = inspect_pack(root)
    assert pack is not None
    assert [(p.file, p.severity) for p in problems] == [
        ("content/text/uk/language.yaml", "warning")
    ]
    assert "no language.yaml for language 'uk'" in problems[0].message
    index = SearchIndex.build(pack)
    assert found(index, pack, "віза") == ["doc.visa"]
    assert query_tokens("як отримати візу", pack.text_rules) == ["як", "отримати", "візу"]
    assert found(index, pack, "dspf") == []  # no Ukrainian layout to convert with


BAD = """\
stop_words: [як, yes]
folds:
  Ґ: г
  ґ: ґґ
  ї: і
keyboard: "йцукен"
transliteration:
  Sh: ш
  zh: ""
stemming: true
colour: blue
durations:
  fortnight: тиждень
  day: дні
  year: день
"""


def test_bad_data_is_a_content_check_problem_with_file_and_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "text" / "uk" / "language.yaml").write_text(BAD, encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        assert check_main(root, quiet=True, today=TODAY) == 1
    lines = [line for line in out.getvalue().splitlines() if "language.yaml" in line]
    where = "content/text/uk/language.yaml"
    expected = [
        f"{where}:1: error: uk language.yaml: 'stop_words': quote 'true' so it stays text",
        f"{where}:3: error: uk language.yaml: folds: 'Ґ' is already read as 'ґ'",
        f"{where}:5: error: uk language.yaml: folds: 'ї' is already read as 'і'",
        f"{where}:6: error: uk language.yaml: 'keyboard' must list 34 keys",
        (
            f"{where}:8: error: uk language.yaml: transliteration: "
            "'Sh' must be lower-case Latin letters"
        ),
        f"{where}:9: error: uk language.yaml: transliteration: what 'zh' stands for must be text",
        f"{where}:10: error: uk language.yaml: 'stemming' needs the 'alphabet'",
        f"{where}:11: error: uk language.yaml: unknown key 'colour'",
        f"{where}:13: error: uk language.yaml: durations: unknown unit 'fortnight'",
        f"{where}:4: error: uk language.yaml: folds: 'ґ' reads as 'ґґ', but 'ґ' is folded too",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)


def test_one_character_reads_one_way_in_the_whole_pack(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    en = root / "text" / "en" / "language.yaml"
    en.write_text(en.read_text(encoding="utf-8") + 'folds:\n  "ʼ": ""\n', encoding="utf-8")
    _pack, problems = inspect_pack(root)
    messages = [str(p) for p in problems if p.severity == "error"]
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        "content/text/uk/language.yaml:12: error: uk language.yaml: folds:"
    )
    assert "in text/en/language.yaml" in messages[0]


def test_i18n_creates_the_catalog_of_a_language_the_pack_declares(tmp_path: Path) -> None:
    from bot.i18n import Catalogs
    from bot.i18n_tools import update_catalogs

    locales = tmp_path / "locales"
    locales.mkdir()
    with redirect_stdout(io.StringIO()) as out:
        assert update_catalogs(content_dir=EXTRA, locales_dir=locales) == 0
    po = locales / "uk" / "LC_MESSAGES" / "messages.po"
    assert po.is_file() and po.with_suffix(".mo").is_file()
    assert sorted(p.name for p in locales.iterdir()) == ["messages.pot", "uk"]  # en is the source
    text = po.read_text(encoding="utf-8")
    assert '"Language: uk\\n"' in text
    assert 'msgid "Main menu"' in text or text.count("msgid ") > 50
    assert f"created {po}" in out.getvalue()
    # A translation made since is kept by the next run, and the catalog loads.
    po.write_text(text.replace('msgstr ""', 'msgstr "Переклад"', 2), encoding="utf-8")
    with redirect_stdout(io.StringIO()) as out:
        update_catalogs(content_dir=EXTRA, locales_dir=locales)
    assert "created" not in out.getvalue()
    assert 'msgstr "Переклад"' in po.read_text(encoding="utf-8")
    catalogs = Catalogs(locales)
    catalogs.load([("en", "ltr", ()), ("uk", "ltr", ("en",))])
    assert catalogs.languages() == ["en", "uk"]


def test_a_word_for_a_unit_of_time_means_one_unit_in_the_whole_pack(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    uk = root / "text" / "uk" / "language.yaml"
    uk.write_text(uk.read_text(encoding="utf-8").replace("міс\n", "міс d\n"), encoding="utf-8")
    _pack, problems = inspect_pack(root)
    messages = [str(p) for p in problems if p.severity == "error"]
    assert messages == [
        "content/text/uk/language.yaml:64: error: uk language.yaml: durations: 'd' is a month here"
        " but a day in text/en/language.yaml; typed durations are read with every language's words"
    ]
