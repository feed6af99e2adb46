"""Normalisation for search, keyboard-layout swapping, and answer pages."""

from __future__ import annotations

import pytest

from bot.content.normalize import normalize, swap_layout
from bot.content.pages import MAX_PAGE_CHARS, chunk, split_pages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qeydiyyatı", "qeydiyyati"),
        ("ÖLKƏ", "olke"),
        ("İŞ İCAZƏSİ", "is icazesi"),
        ("çağırış", "cagiris"),
        ("Ёлка и йогурт", "елка и иогурт"),
        ("Türkiye'de oturma izni", "turkiye de oturma izni"),
        ("ويزا", "ویزا"),  # Arabic yeh -> Persian yeh
        ("كار", "کار"),  # Arabic kaf -> Persian keheh
        ("مـــی‌خواهم", "می خواهم"),  # tatweel removed, ZWNJ -> space
        ("مُحَمَّد", "محمد"),  # harakat removed
        ("۱۵ روز", "15 روز"),
        ("  Hello,   World!  (a_b) ", "hello world a b"),
        ('"*AND( NEAR', "and near"),
        ("Straße", "strasse"),
        ("", ""),
        ("?!…", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_idempotent() -> None:
    for text in ("Qeydiyyatı ölkə", "Ёжик", "پاسپورت‌ها", "ÇĞÖŞÜ"):
        assert normalize(normalize(text)) == normalize(text)


def test_swap_layout_both_ways() -> None:
    assert swap_layout("gfcgjhn") == "паспорт"
    assert swap_layout("Gfcgjhn") == "паспорт"
    assert swap_layout("ht;bv") == "режим"  # ; is the key of ж
    assert swap_layout("зфыызщке") == "passport"
    # Azerbaijani letters show the layout was chosen on purpose.
    assert swap_layout("ölkə") is None
    assert swap_layout("123") is None
    assert swap_layout("ویزا") is None


def test_split_pages() -> None:
    answer = "First page\nstill first\n---\nSecond page\n\n---\n\n---\nThird --- not a break\n"
    assert split_pages(answer) == (
        "First page\nstill first",
        "Second page",
        "Third --- not a break",
    )
    assert split_pages("one page") == ("one page",)
    assert split_pages("---\n") == ()
    assert split_pages("a\n ---\nb") == ("a\n ---\nb",)  # only a line that is exactly ---


def test_chunk_cuts_at_paragraphs_and_keeps_everything() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "x" * 1000 for i in range(8))
    pieces = chunk(text, MAX_PAGE_CHARS)
    assert all(len(p) <= MAX_PAGE_CHARS for p in pieces)
    assert len(pieces) == 3
    assert all(p.startswith("Paragraph") for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert chunk("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert chunk("short") == ["short"]


def test_russian_typed_in_latin_letters_comes_back_in_cyrillic() -> None:
    from bot.content.normalize import latin_to_cyrillic

    assert latin_to_cyrillic("shkola dlya detey") == "школа для детей"
    assert latin_to_cyrillic("Vid na zhitelstvo") == "вид на жителство"
    assert latin_to_cyrillic("школа") is None and latin_to_cyrillic("məktəb") is None
    assert latin_to_cyrillic("123") is None
