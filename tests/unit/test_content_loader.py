"""Loader and validator: a good pack loads; each kind of mistake is reported with file and line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.content.loader import inspect_pack, load_pack
from bot.content.problems import PackError, Problem

PACKS = Path(__file__).parents[1] / "fixtures" / "packs"
GOOD = PACKS / "good"

Edit = str | Callable[[str], str] | None


def pack_with(tmp_path: Path, edits: dict[str, Edit]) -> Path:
    """A copy of the good pack named `content`, with files replaced, edited or (None) removed."""
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    for rel, edit in edits.items():
        path = root / rel
        if edit is None:
            path.unlink()
        elif callable(edit):
            path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(edit, encoding="utf-8")
    return root


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"fixture text changed: {old!r} not found"
        return text.replace(old, new, 1)

    return edit


def errors_of(root: Path) -> list[Problem]:
    pack, problems = inspect_pack(root)
    errors = [p for p in problems if p.severity == "error"]
    assert pack is None if errors else pack is not None
    return errors


def line_of(root: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


# --- the good pack --------------------------------------------------------------------


def test_good_pack_loads_without_problems() -> None:
    pack, problems = inspect_pack(GOOD)
    assert problems == []
    assert pack is not None
    assert list(pack.languages) == ["az", "ru", "en", "fa", "tr"]
    assert pack.default_language == "en"
    assert pack.languages["fa"].direction == "rtl"
    assert pack.languages["az"].fallback == ("ru", "en")
    assert pack.languages["tr"].enabled is False
    assert pack.audiences == ("returnee", "foreign_resident")
    assert pack.call_centre == "call_centre"
    # Items keep file order across files sorted by name.
    assert list(pack.items) == [
        "doc.registration",
        "doc.passport",
        "doc.general",
        "work.permit",
        "rights.country",
    ]
    item = pack.items["doc.registration"]
    assert item.last_checked == date(2026, 11, 1)
    assert item.reviewed is False
    assert item.related == ("doc.passport",)
    assert item.flows == ("registration",)
    assert item.sources[0].url == "https://migration.gov.az/en/oyq"
    assert pack.items["doc.passport"].reviewed is True
    assert pack.contacts["emergency"].number == "112"
    assert pack.contacts["call_centre"].reviewed is False
    assert pack.categories["other"].icon == ""
    assert pack.topics["documents.foreigners"].parent == "documents"


def test_texts_pages_and_draft_flags() -> None:
    pack = load_pack(GOOD)
    text = pack.texts["en"]["doc.registration"]
    assert len(text.pages) == 2
    assert text.pages[1].startswith("Registration is free")
    assert "---" not in "".join(text.pages)
    assert text.keywords == ("registration", "register", "address")
    assert text.synonyms == ("propiska",)
    assert pack.text_drafts == {"az": True, "ru": False, "en": False, "fa": True, "tr": False}
    # A draft file makes all its texts drafts; an item can be a draft on its own.
    assert pack.texts["az"]["rights.country"].draft is True
    assert pack.texts["ru"]["doc.passport"].draft is True
    assert pack.texts["ru"]["doc.registration"].draft is False
    assert pack.labels["en"]["contacts"]["emergency"] == "Emergencies, free, 24 hours"
    assert pack.labels["tr"]["topics"] == {}


def test_version_changes_with_any_file(tmp_path: Path) -> None:
    root = pack_with(tmp_path, {})
    before = load_pack(root).version
    assert before == load_pack(root).version
    (root / "flows" / "registration.yaml").write_text("questions: {changed: 1}\n")
    assert load_pack(root).version != before


def test_load_pack_raises_pack_error_with_all_errors(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "faq/work.yaml": replace("topic: work", "topic: nowhere"),
            "contacts.yaml": replace("last_checked: 2026-11-01", "last_checked: 2026-13-01"),
        },
    )
    with pytest.raises(PackError) as caught:
        load_pack(root)
    messages = [p.message for p in caught.value.problems]
    assert any("unknown topic 'nowhere'" in m for m in messages)
    assert any("2026-13-01" in m for m in messages)
    assert "content/faq/work.yaml:" in str(caught.value)


# --- broken packs ---------------------------------------------------------------------


def test_bad_yaml_reports_the_line_and_nothing_else() -> None:
    errors = errors_of(PACKS / "bad_yaml")
    assert len(errors) == 1, errors
    assert errors[0].file == "bad_yaml/topics.yaml"
    assert errors[0].line == 7
    assert "invalid YAML" in errors[0].message


def test_duplicate_item_id_across_files(tmp_path: Path) -> None:
    root = pack_with(tmp_path, {"faq/work.yaml": replace("id: work.permit", "id: doc.passport")})
    errors = errors_of(root)
    dup = [e for e in errors if "duplicate item id 'doc.passport'" in e.message]
    assert len(dup) == 1
    assert dup[0].file == "content/faq/work.yaml"
    assert dup[0].line == line_of(root, "faq/work.yaml", "id: doc.passport")
    assert "first defined at content/faq/documents.yaml:13" in dup[0].message


def test_dangling_related_topic_and_parent(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "faq/documents.yaml": replace("related: [doc.passport]", "related: [doc.gone]"),
            "faq/work.yaml": replace("topic: rights", "topic: rigths"),
            "topics.yaml": replace(
                "parent: documents\n    audiences: [returnee]",
                "parent: docs\n    audiences: [returnee]",
            ),
        },
    )
    found = {(e.file, e.line, e.message) for e in errors_of(root)}
    assert (
        "content/faq/documents.yaml",
        line_of(root, "faq/documents.yaml", "related:"),
        "item 'doc.registration': related item 'doc.gone' does not exist",
    ) in found
    assert (
        "content/faq/work.yaml",
        line_of(root, "faq/work.yaml", "topic: rigths"),
        "item 'rights.country': unknown topic 'rigths'",
    ) in found
    assert (
        "content/topics.yaml",
        line_of(root, "topics.yaml", "parent: docs"),
        "topic 'documents.citizens': unknown parent 'docs'",
    ) in found


def test_topic_cycle(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "topics.yaml": replace(
                '  - id: documents\n    icon: "🪪"',
                "  - id: documents\n    parent: documents.citizens",
            )
        },
    )
    cycles = [e for e in errors_of(root) if "cycle" in e.message]
    assert len(cycles) == 1
    assert "documents" in cycles[0].message and "documents.citizens" in cycles[0].message


def test_text_for_undeclared_language(tmp_path: Path) -> None:
    root = pack_with(tmp_path, {"text/de/faq.yaml": "items: {}\n"})
    errors = errors_of(root)
    assert [(e.file, e.message) for e in errors] == [
        ("content/text/de", "texts for language 'de', which languages.yaml does not declare")
    ]


def test_text_for_unknown_item_and_label_for_unknown_topic(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "text/ru/faq.yaml": replace("  doc.passport:", "  doc.pasport:"),
            "text/ru/labels.yaml": "topics:\n  documents: Документы\n  dokuments: Документы\n",
        },
    )
    found = {(e.file, e.line, e.message) for e in errors_of(root)}
    assert ("content/text/ru/faq.yaml", 6, "text for unknown item 'doc.pasport'") in found
    assert ("content/text/ru/labels.yaml", 3, "label for unknown topic 'dokuments'") in found


def test_page_too_long_is_an_error_but_split_pages_are_fine(tmp_path: Path) -> None:
    long_line = "word " * 800  # 4000 characters
    root = pack_with(
        tmp_path,
        {
            "text/en/faq.yaml": replace(
                "answer: Ask at an ASAN centre which documents you need.", f"answer: {long_line}"
            )
        },
    )
    errors = errors_of(root)
    assert len(errors) == 1
    assert errors[0].file == "content/text/en/faq.yaml"
    assert errors[0].line == line_of(root, "text/en/faq.yaml", "answer: word")
    assert "page 1 has 3999 characters" in errors[0].message

    split = "|\n      " + "word " * 500 + "\n      ---\n      " + "word " * 500
    root2 = pack_with(
        tmp_path / "second",
        {
            "text/en/faq.yaml": replace(
                "answer: Ask at an ASAN centre which documents you need.", f"answer: {split}"
            )
        },
    )
    assert errors_of(root2) == []
    assert len(load_pack(root2).texts["en"]["doc.general"].pages) == 2


def test_long_title_is_a_warning(tmp_path: Path) -> None:
    title = "A title that is much too long to fit on a Telegram button label"
    root = pack_with(
        tmp_path, {"text/en/faq.yaml": replace("title: Work permit", f"title: {title}")}
    )
    pack, problems = inspect_pack(root)
    assert pack is not None
    assert [(p.severity, p.line) for p in problems] == [
        ("warning", line_of(root, "text/en/faq.yaml", "title: A title"))
    ]
    assert f"title has {len(title)} characters" in problems[0].message


def test_missing_default_text_is_an_error(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "text/en/faq.yaml": replace(
                "  work.permit:\n    title: Work permit\n",
                "  work.permit_:\n    title: Work permit\n",
            ),
        },
    )
    messages = {e.message for e in errors_of(root)}
    assert (
        "item 'work.permit' has no text in the default language 'en' (text/en/faq.yaml)" in messages
    )


def test_missing_default_labels_are_errors(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {"text/en/labels.yaml": replace("  other: Something else\n", "")},
    )
    errors = errors_of(root)
    assert [(e.file, e.line) for e in errors] == [
        ("content/categories.yaml", line_of(root, "categories.yaml", "id: other"))
    ]
    assert "category 'other' has no label in the default language 'en'" in errors[0].message


def test_missing_other_language_text_is_only_coverage(tmp_path: Path) -> None:
    root = pack_with(tmp_path, {"text/ru/faq.yaml": None, "text/ru/labels.yaml": None})
    pack, problems = inspect_pack(root)
    assert problems == []
    assert pack is not None and pack.texts["ru"] == {}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "last_checked: 2026-10-15",
            "last_checked: 15.10.2026",
            "'last_checked' must be a date YYYY-MM-DD, got '15.10.2026'",
        ),
        (
            "last_checked: 2026-10-15",
            "last_checked: 2026-02-30",
            "must be a date YYYY-MM-DD, got '2026-02-30'",
        ),
        (
            "url: https://london.mfa.gov.az",
            "url: ftp://london.mfa.gov.az",
            "source url must be http(s): 'ftp://london.mfa.gov.az/en/content/86/general-information'",
        ),
        ("    reviewed: false\n", "    reviewd: false\n", "unknown key 'reviewd'"),
        (
            "    importance: 2\n",
            "    importance: high\n",
            "importance must be a whole number from 1",
        ),
        (
            "    importance: 2\n",
            "    importance: true\n",
            "importance must be a whole number from 1",
        ),
        (
            "    topic: documents.citizens\n    importance: 2\n",
            "    importance: 2\n",
            "missing key 'topic'",
        ),
        ("id: doc.general", "id: Doc General", "must be short lowercase ASCII"),
        (
            "audiences: [returnee]\n    sources",
            "audiences: [returnees]\n    sources",
            "audience 'returnees' is not in pack.yaml",
        ),
    ],
)
def test_schema_errors_in_items(tmp_path: Path, old: str, new: str, expected: str) -> None:
    root = pack_with(tmp_path, {"faq/documents.yaml": replace(old, new)})
    errors = errors_of(root)
    matching = [e for e in errors if expected in e.message]
    assert matching, errors
    assert all(e.file == "content/faq/documents.yaml" and e.line > 0 for e in matching)


def test_empty_sources_is_an_error(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "faq/documents.yaml": replace(
                'sources:\n      - {title: "ASAN Service", url: "https://asan.gov.az/en/service/asan-xidmetler"}',
                "sources: []",
            )
        },
    )
    errors = errors_of(root)
    assert [e.message for e in errors] == ["item 'doc.general': 'sources' must be a non-empty list"]
    assert errors[0].line == line_of(root, "faq/documents.yaml", "sources: []")


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        ("languages.yaml", "direction: rtl", "direction: right", "direction must be ltr or rtl"),
        (
            "languages.yaml",
            "fallback: [az, en]",
            "fallback: [az, de]",
            "fallback 'de' is not declared",
        ),
        ("languages.yaml", "default: en", "default: de", "default language 'de' is not declared"),
        (
            "pack.yaml",
            "call_centre: call_centre",
            "call_centre: hotline",
            "call_centre 'hotline' is not a contact",
        ),
        ("contacts.yaml", 'number: "112"', "number: 112", "quote the number"),
        (
            "contacts.yaml",
            "emergency: true",
            "emergency: yes please",
            "'emergency' must be true or false",
        ),
        (
            "topics.yaml",
            "audiences: [foreign_resident]\n  - id: rights",
            "audiences: [nobody]\n  - id: rights",
            "audience 'nobody' is not in pack.yaml",
        ),
    ],
)
def test_schema_errors_elsewhere(
    tmp_path: Path, rel: str, old: str, new: str, expected: str
) -> None:
    root = pack_with(tmp_path, {rel: replace(old, new)})
    matching = [e for e in errors_of(root) if expected in e.message]
    assert matching
    assert matching[0].file == f"content/{rel}"
    assert matching[0].line == line_of(root, rel, new.splitlines()[0].strip())


def test_files_of_other_loaders_are_ignored(tmp_path: Path) -> None:
    # The good pack already holds flows/, routing.yaml, replies.yaml and text/en/flows.yaml
    # (which is not even valid YAML); an unknown file is only a warning.
    root = pack_with(tmp_path, {"text/en/faqs.yaml": "items: {}\n", "topic.yaml": "x: 1\n"})
    pack, problems = inspect_pack(root)
    assert pack is not None
    assert sorted((p.file, p.severity) for p in problems) == [
        ("content/text/en/faqs.yaml", "warning"),
        ("content/topic.yaml", "warning"),
    ]


def test_missing_required_file(tmp_path: Path) -> None:
    root = pack_with(tmp_path, {"pack.yaml": None})
    errors = errors_of(root)
    assert ("content/pack.yaml", 0, "file is missing") in {
        (e.file, e.line, e.message) for e in errors
    }


def test_not_a_directory(tmp_path: Path) -> None:
    pack, problems = inspect_pack(tmp_path / "nothing")
    assert pack is None
    assert problems[0].message == "content directory not found"


def test_language_aliases_are_checked(tmp_path: Path) -> None:
    pack = tmp_path / "content"
    shutil.copytree(GOOD, pack)
    path = pack / "languages.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    fallback: [ru, en]\n", "    fallback: [ru, en]\n    aliases: [uz, ru, 'x y']\n", 1
    )
    text = text.replace("    aliases: [prs]\n", "    aliases: [prs, uz]\n")
    path.write_text(text, encoding="utf-8")
    _pack, problems = inspect_pack(pack)
    shown = [p.message for p in problems]
    assert "language 'az': alias 'ru' is a language of the pack" in shown
    assert "language 'az': alias 'x y' is not like 'uz' or 'fa-af'" in shown
    assert "alias 'uz' is given to both 'az' and 'fa'" in shown


def test_the_welcome_is_the_operators_text_with_fallback_and_is_checked(tmp_path: Path) -> None:
    root = pack_with(
        tmp_path,
        {
            "text/en/labels.yaml": lambda text: (
                'welcome: "Hi from  the <Tbilisi> desk & co."\n' + text
            )
        },
    )
    pack = load_pack(root)
    assert pack.welcome_text("en") == "Hi from the <Tbilisi> desk & co."
    assert pack.welcome_text("ru") == pack.welcome_text("en")  # falls back along the chain
    assert load_pack(GOOD).welcome_text("en") is None  # none: the UI's own words are used
    bad = pack_with(
        tmp_path / "bad",
        {"text/en/labels.yaml": lambda text: "welcome: " + "x" * 501 + "\n" + text},
    )
    problems = inspect_pack(bad)[1]
    assert any(
        "welcome has 501 characters" in str(p) and "labels.yaml:" in str(p) for p in problems
    )
