"""Intents from the pack: loading with file:line problems, matching as people type, bounds."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.content.intents import IntentDef, Intents, load_intents

REAL = Path(__file__).parents[2] / "content"
LANGS = ["en", "ru", "az", "fa", "tr"]


@pytest.fixture(scope="module")
def intents() -> Intents:
    loaded, problems, _coverage = load_intents(REAL, LANGS, "en")
    assert [p for p in problems if p.severity == "error"] == []
    return loaded


def matched(intents: Intents, text: str) -> str | None:
    found = intents.match(text)
    return found.id if found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", "greeting"),
        ("Hello!!! 👋", "greeting"),
        ("здраствуйте", "greeting"),  # a common misspelling, one letter short
        ("salam", "greeting"),
        ("سلام", "greeting"),
        ("Merhaba", "greeting"),
        ("good morning", "greeting"),  # not "thanks" for something good
        ("thank you so much", "thanks"),
        ("cox sag olun", "thanks"),  # Azerbaijani without diacritics
        ("help", "help"),
        ("hello, I lost my passport", None),  # a question, searched
        ("thanks, but how do I renew my permit?", None),
        ("I want to talk to a person", "person"),
        ("можно с живым человеком поговорить?", "person"),
        ("someone is hitting me, im scared", "emergency"),
        ("شوهرم مرا میزند کمک", "emergency"),
        ("شوهرم مرا می‌زند", "emergency"),  # with a zero-width non-joiner
        ("номер скорой", "emergency"),
        ("ИЗБИВАЮТ", "emergency"),  # a prefix pattern, upper case
        ("hello, please help, my husband beats me", "emergency"),  # emergencies win
        ("i want to talk to a person, my husband beats me", "emergency"),
        ("хочу жить в баку", None),  # "не хочу жить" needs its "не"
        ("human trafficking", None),  # "human" alone is not a request for a person
        ("döviz kuru", None),  # "döv-" (beat) must not match "döviz" (currency)
    ],
)
def test_match(intents: Intents, text: str, expected: str | None) -> None:
    assert matched(intents, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Yes, I am", "yes"),
        ("да", "yes"),
        ("Да, конечно", "yes"),
        ("bəli", "yes"),
        ("beli", "yes"),
        ("بله", "yes"),
        ("evet", "yes"),
        ("no", "no"),
        ("нет", "no"),
        ("yox", "no"),
        ("xeyr", "no"),
        ("خیر", "no"),
        ("نه", "no"),
        ("hayır", "no"),
        ("hayir", "no"),
        ("I'm not", "no"),
        ("maybe", None),
        ("", None),
        ("noodles", None),
    ],
)
def test_yes_no_in_every_language(intents: Intents, text: str, expected: str | None) -> None:
    assert intents.yes_no(text) == expected


def test_long_hostile_input_is_cheap(intents: Intents) -> None:
    nasty = ("ذ" * 300 + " ") * 50 + "🙂" * 1000 + "<b>&amp;*</b> " * 500
    start = time.perf_counter()
    for _ in range(20):
        intents.match(nasty)
        intents.yes_no(nasty)
    assert (time.perf_counter() - start) / 20 < 0.005


def test_problems_have_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "content"
    shutil.copytree(REAL, pack)
    (pack / "intents.yaml").write_text(
        "search:\n  min_confidence: 2\n"
        "intents:\n"
        "  - id: emergency\n    reply: emergency\n    match: anywhere\n"
        "  - id: person\n    reply: call_me\n"
        "  - id: Bad Id\n    reply: help\n",
        encoding="utf-8",
    )
    (pack / "text" / "ru" / "intents.yaml").write_text(
        "draft: true\nintents:\n  greting: [привет]\n  emergency: [ok, 'x*']\n"
        "answers:\n  yes: [да]\n  no: [no]\n",
        encoding="utf-8",
    )
    _intents, problems, coverage = load_intents(pack, LANGS, "en")
    shown = [str(p) for p in problems]
    assert (
        "content/intents.yaml:2: error: search: min_confidence must be a number from 0 to 1"
        in shown
    )
    assert any(
        s.startswith("content/intents.yaml:8: error: intent 'person': reply must be") for s in shown
    )
    assert any(s.startswith("content/intents.yaml:9: error: intent id 'Bad Id'") for s in shown)
    assert "content/text/ru/intents.yaml:3: error: phrases for unknown intent 'greting'" in shown
    assert any("text/ru/intents.yaml:4: error: intent 'emergency': 'x*'" in s for s in shown)
    assert coverage["ru"] == (1, 1, 1)


def test_unquoted_yes_no_keys_still_load(tmp_path: Path) -> None:
    pack = tmp_path / "content"
    (pack / "text" / "en").mkdir(parents=True)
    (pack / "intents.yaml").write_text("intents: []\n", encoding="utf-8")
    (pack / "text" / "en" / "intents.yaml").write_text(
        "answers:\n  yes: ['yes', sure]\n  no: ['no', nope]\n", encoding="utf-8"
    )
    intents, problems, _ = load_intents(pack, ["en"], "en")
    assert problems == []
    assert intents.yes_no("sure") == "yes" and intents.yes_no("nope") == "no"


def test_pack_order_decides_between_anywhere_intents() -> None:
    phrases = {"en": {"a": ("fire",), "b": ("fire truck",)}}
    first = Intents(
        (IntentDef("a", "emergency", "anywhere"), IntentDef("b", "caseworker", "anywhere")),
        0.5,
        phrases,
    )
    assert matched(first, "the fire truck") == "a"
    second = Intents(
        (IntentDef("b", "caseworker", "anywhere"), IntentDef("a", "emergency", "anywhere")),
        0.5,
        phrases,
    )
    assert matched(second, "the fire truck") == "b"


def test_a_one_word_phrase_that_is_another_languages_common_word_is_warned_about() -> None:
    from bot.content.intents import collisions

    intents = Intents(
        (IntentDef("emergency", "emergency", "anywhere"),),
        0.5,
        {"en": {"emergency": ("gun", "pointing a gun")}},
    )
    texts = {"en": {"a": "a pistol"}, "az": {"x": "15 gün ərzində", "y": "hər gün", "z": "ay"}}
    problems = collisions(intents, texts, REAL)
    assert [p.severity for p in problems] == ["warning"]
    assert "'gun' is also a word of 2 az answers" in problems[0].message
    assert problems[0].file == "content/text/en/intents.yaml"


def test_a_word_both_languages_use_is_a_cognate_not_a_collision() -> None:
    from bot.content.intents import collisions

    intents = Intents(
        (IntentDef("person", "caseworker", "anywhere"),), 0.5, {"en": {"person": ("operator",)}}
    )
    texts = {"en": {"a": "call the operator"}, "az": {"x": "operator", "y": "operatora zəng"}}
    assert collisions(intents, texts, REAL) == []
