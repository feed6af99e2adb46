"""Pack queries: language chains and resolution, fallback texts and labels, menu ordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bundle.service import LoadedContent
from bot.content.loader import load_pack
from bot.content.model import Pack

GOOD = Path(__file__).parents[1] / "fixtures" / "packs" / "good"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(GOOD)


def test_language_chain(pack: Pack) -> None:
    assert pack.language_chain("az") == ["az", "ru", "en"]
    assert pack.language_chain("ru") == ["ru", "en"]
    assert pack.language_chain("en") == ["en"]
    assert pack.language_chain("tr") == ["tr", "az", "en"]
    assert pack.language_chain("xx") == ["en"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru-RU", "ru"),
        ("en-US", "en"),
        ("fa-IR", "fa"),
        ("prs", "fa"),
        ("az", "az"),
        ("AZ", "az"),
        ("az_Latn_AZ", "az"),
        ("tr", "en"),  # declared but not enabled
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_resolve_language(pack: Pack, code: str | None, expected: str) -> None:
    assert pack.resolve_language(code) == expected


def test_enabled_languages(pack: Pack) -> None:
    assert [lang.code for lang in pack.enabled_languages()] == ["az", "ru", "en", "fa"]


def test_text_falls_back_along_the_chain(pack: Pack) -> None:
    text, used = pack.text("doc.registration", "az")
    assert (used, text.title) == ("az", "Yaşadığınız yerdə qeydiyyatı")
    # az has no text for doc.passport: ru has it.
    text, used = pack.text("doc.passport", "az")
    assert (used, text.title) == ("ru", "Потерян паспорт за границей")
    # Neither az nor ru: the default.
    text, used = pack.text("work.permit", "az")
    assert (used, text.title) == ("en", "Work permit")
    text, used = pack.text("doc.passport", "fa")
    assert used == "en"
    assert pack.has_text("doc.passport", "ru") and not pack.has_text("doc.passport", "az")
    with pytest.raises(KeyError):
        pack.text("no.such.item", "en")


def test_label_falls_back_and_unknown_gives_the_id(pack: Pack) -> None:
    assert pack.label("topics", "documents", "az") == "Sənədlər"
    assert pack.label("topics", "documents", "ru") == "Документы"
    assert pack.label("topics", "work", "az") == "Work"
    assert pack.label("audiences", "returnee", "az") == "Vətənə qayıdıram"
    assert pack.label("topics", "nope", "az") == "nope"


def test_children_in_file_order(pack: Pack) -> None:
    assert [t.id for t in pack.children(None)] == ["documents", "work", "rights", "emergency"]
    assert [t.id for t in pack.children("documents")] == [
        "documents.foreigners",
        "documents.citizens",
    ]
    assert pack.children("work") == []
    assert [t.id for t in pack.topic_path("documents.citizens")] == [
        "documents",
        "documents.citizens",
    ]


def test_topics_for_puts_the_audience_first(pack: Pack) -> None:
    # "work" is only for foreign residents: a returnee sees it last.
    assert [t.id for t in pack.topics_for("returnee")] == [
        "documents",
        "rights",
        "emergency",
        "work",
    ]
    assert [t.id for t in pack.topics_for("foreign_resident")] == [
        "documents",
        "work",
        "rights",
        "emergency",
    ]
    assert [t.id for t in pack.topics_for(None)] == ["documents", "work", "rights", "emergency"]
    assert [t.id for t in pack.topics_for("returnee", "documents")] == [
        "documents.citizens",
        "documents.foreigners",
    ]


def test_items_in_orders_by_audience_then_importance_then_file(pack: Pack) -> None:
    # doc.passport (returnee, no importance) and doc.general (everyone, importance 2).
    assert [i.id for i in pack.items_in("documents.citizens", "returnee")] == [
        "doc.general",
        "doc.passport",
    ]
    assert [i.id for i in pack.items_in("documents.citizens", "foreign_resident")] == [
        "doc.general",
        "doc.passport",
    ]
    assert [i.id for i in pack.items_in("documents.citizens", None)] == [
        "doc.general",
        "doc.passport",
    ]
    assert pack.items_in("emergency", "returnee") == []


def test_items_in_other_audience_last(pack: Pack) -> None:
    import dataclasses

    items = dict(pack.items)
    items["doc.general"] = dataclasses.replace(
        items["doc.general"], audiences=("foreign_resident",), importance=1
    )
    changed = dataclasses.replace(pack, items=items)
    assert [i.id for i in changed.items_in("documents.citizens", "returnee")] == [
        "doc.passport",
        "doc.general",
    ]
    assert [i.id for i in changed.items_in("documents.citizens", None)] == [
        "doc.general",
        "doc.passport",
    ]


def test_emergency_contacts(pack: Pack) -> None:
    assert [c.id for c in pack.emergency_contacts()] == ["emergency"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("uz", "ru"),
        ("uz-Latn-UZ", "ru"),
        ("kk", "ru"),
        ("ky-KG", "ru"),
        ("tg", "ru"),
        ("tk", "ru"),
        ("prs", "fa"),
        ("fa-AF", "fa"),
        ("pes", "fa"),
        ("de", "en"),
        ("tr", "tr"),
    ],
)
def test_codes_the_real_pack_lacks_map_to_its_configured_languages(
    code: str, expected: str, real_content: LoadedContent
) -> None:
    real = real_content.bundle.pack
    assert real.resolve_language(code) == expected
