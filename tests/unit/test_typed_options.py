"""Typed answers to button questions: numbers, yes/no words, labels or parts of them."""

from __future__ import annotations

from bot.content.intents import match_choice
from bot.flows.engine import typed_option
from bot.flows.model import Question

HOW = Question("how", "choice", options=("readmitted", "forced", "voluntary"))
LABELS = {
    "readmitted": "По реадмиссии (соглашение с ЕС)",
    "forced": "Депортация, принудительное возвращение",
    "voluntary": "Вернулся по своему решению",
}
YES_NO = Question("citizen", "yes_no", options=("yes", "no"))


def test_an_option_by_its_number_label_or_words() -> None:
    assert typed_option(HOW, "2", LABELS) == "forced"
    assert typed_option(HOW, "4", LABELS) is None
    assert typed_option(HOW, "депортирован", LABELS) == "forced"
    assert typed_option(HOW, "по своему решению", LABELS) == "voluntary"
    assert typed_option(HOW, "ВЕРНУЛСЯ", LABELS) == "voluntary"
    assert typed_option(HOW, "депортировали", LABELS) == "forced"  # another form of the word
    assert typed_option(HOW, "forced", LABELS) == "forced"  # the id works too
    assert typed_option(HOW, "не знаю", LABELS) is None
    assert typed_option(HOW, "x" * 500, LABELS) is None


def test_yes_no_words_come_from_the_pack() -> None:
    labels = {"yes": "Да", "no": "Нет"}
    assert typed_option(YES_NO, "ага", labels, yes_no="yes") == "yes"
    assert typed_option(YES_NO, "1", labels) == "yes"
    assert typed_option(YES_NO, "нет", labels) == "no"
    assert typed_option(YES_NO, "может быть", labels) is None


def test_ambiguous_text_names_nothing() -> None:
    labels = {"a": "Work permit", "b": "Work visa"}
    assert match_choice("work", labels) is None
    assert match_choice("work visa", labels) == "b"
    assert match_choice("", labels) is None
