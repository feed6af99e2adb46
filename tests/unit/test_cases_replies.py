"""Canned replies: loading, problems with lines, fallback chain, coverage."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bot.cases.replies import Replies, Reply, load_replies

LANGS = ["az", "ru", "en", "fa", "tr"]
REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_fallback_chain() -> None:
    replies = Replies(
        [Reply("received", "n"), Reply("closing", "n")],
        {
            "en": {"received": "EN received", "closing": "EN closing"},
            "ru": {"received": "RU received"},
            "az": {},
        },
        default_language="en",
    )
    assert replies.text("received", ["az", "ru", "en"]) == "RU received"
    assert replies.resolve("received", ["az", "ru"]) == ("ru", "RU received")
    # The default language ends every chain even if the caller forgot it.
    assert replies.text("closing", ["tr", "az"]) == "EN closing"
    assert replies.text("closing", "ru") == "EN closing"  # a bare code, not letters
    assert replies.text("nope", ["en"]) is None
    assert replies.ids() == ["received", "closing"]
    assert "received" in replies and len(replies) == 2


def test_shipped_replies_are_complete_and_keep_phone_numbers() -> None:
    replies, problems, coverage = load_replies(REPO_CONTENT, LANGS, "en")
    assert problems == []
    assert 6 <= len(replies) <= 8
    assert {"received", "call_centre", "legal_aid", "closing"} <= set(replies.ids())
    assert coverage == {lang: (len(replies), len(replies)) for lang in LANGS}
    for lang in LANGS:
        # UNHCR announced the end of its operations (2025): the old line is never sent as current.
        legal_aid = replies.text("legal_aid", [lang]) or ""
        assert "+994 51 207 59 96" not in legal_aid and "2025" in legal_aid
        assert "(012) 919" in (replies.text("call_centre", [lang]) or "")
        assert "108" in (replies.text("asan", [lang]) or "")
        assert replies.is_draft(lang) == (lang != "en")
    assert all((reply := replies.get(i)) and reply.note for i in replies.ids())


def test_loader_problems_have_lines(tmp_path: Path) -> None:
    root = tmp_path / "content"
    write(
        root,
        "replies.yaml",
        """
        replies:
          - id: received
            note: First answer
          - id: Bad-Id
            note: x
          - id: received
            note: again
          - id: closing
          - id: extra
            note: only in ru
        """,
    )
    write(
        root,
        "text/en/replies.yaml",
        """
        draft: false
        replies:
          received: Thanks
          closing: ""
          ghost: Nobody uses me
        """,
    )
    write(
        root,
        "text/ru/replies.yaml",
        """
        draft: maybe
        replies:
          received: {text: Спасибо, draft: true}
          extra: Только по-русски
        """,
    )
    replies, problems, coverage = load_replies(root, ["en", "ru", "fa"], "en")
    found = [str(p) for p in problems]
    expected = [
        "content/replies.yaml:4: error: reply id 'Bad-Id' must be lowercase",
        "content/replies.yaml:6: error: reply 'received' is defined twice (first at line 2)",
        "content/replies.yaml:8: warning: reply 'closing' has no note",
        "content/text/en/replies.yaml:4: error: reply 'closing': the text must be non-empty",
        "content/text/en/replies.yaml:5: warning: text for unknown reply 'ghost'",
        "content/text/ru/replies.yaml:1: error: draft must be true or false",
        "content/text/en/replies.yaml: error: reply 'closing' has no text in en",
        "content/text/en/replies.yaml: error: reply 'extra' has no text in en",
    ]
    for item in expected:
        assert any(f.startswith(item) for f in found), f"missing {item!r} in {found}"
    assert len(found) == len(expected)
    assert replies.ids() == ["received", "closing", "extra"]
    assert coverage == {"en": (1, 3), "ru": (2, 3), "fa": (0, 3)}
    assert replies.text("extra", ["ru"]) == "Только по-русски"
    assert replies.text("extra", ["fa"]) is None  # no default text: reported above
    assert replies.is_draft("ru", "received") and not replies.is_draft("ru", "extra")


def test_too_long_text_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "content"
    write(root, "replies.yaml", "replies:\n  - {id: long, note: n}\n")
    write(root, "text/en/replies.yaml", "replies:\n  long: " + "a" * 3501 + "\n")
    _, problems, _ = load_replies(root, ["en"], "en")
    assert any("3501 characters" in str(p) and p.line == 2 for p in problems)


def test_missing_replies_file_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    replies, problems, coverage = load_replies(root, ["en", "az"], "en")
    assert len(replies) == 0
    assert [p.severity for p in problems] == ["warning"]
    assert coverage == {"en": (0, 0), "az": (0, 0)}


def test_yaml_error_reports_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    write(root, "replies.yaml", "replies:\n  - id: a\n   note: [\n")
    _, problems, _ = load_replies(root, ["en"], "en")
    assert problems and problems[0].file == "content/replies.yaml" and problems[0].line > 0
