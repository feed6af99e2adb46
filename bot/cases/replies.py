"""Canned replies for caseworkers: ids and notes in replies.yaml, texts per language.

    content/replies.yaml              replies: [{id: received, note: "for caseworkers"}]
    content/text/<lang>/replies.yaml  draft: true
                                      replies: {received: "Thank you, ..."}

A text may also be a mapping `{text: ..., draft: true}` to mark one reply as a draft. Every
reply needs a text in the default language (an error otherwise); other languages fall back
along the chain the caller passes, and what is missing shows up as coverage, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.content.problems import Problem, Reporter, relative
from bot.content.yamlio import LineDict, YamlError, load_yaml

FILE_NAME = "replies.yaml"
MAX_TEXT = 3500  # one Telegram message (4096) with room for a signature
_ID = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Reply:
    """A canned reply: its id and what it is for (shown to caseworkers)."""

    id: str
    note: str = ""


class Replies:
    """Loaded canned replies with their texts by language."""

    def __init__(
        self,
        items: Sequence[Reply],
        texts: Mapping[str, Mapping[str, str]],
        default_language: str,
        draft_languages: Iterable[str] = (),
        draft_items: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._items = {r.id: r for r in items}
        self._texts = {lang: dict(by_id) for lang, by_id in texts.items()}
        self.default_language = default_language
        self._draft_languages = frozenset(draft_languages)
        self._draft_items = frozenset(draft_items)

    def ids(self) -> list[str]:
        """Reply ids in file order (the order caseworkers see them)."""
        return list(self._items)

    def get(self, reply_id: str) -> Reply | None:
        """The reply with this id, or None."""
        return self._items.get(reply_id)

    def __contains__(self, reply_id: object) -> bool:
        return reply_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def resolve(self, reply_id: str, lang_chain: Sequence[str]) -> tuple[str, str] | None:
        """(language, text) from the first language in the chain that has the text."""
        if reply_id not in self._items:
            return None
        chain = (lang_chain,) if isinstance(lang_chain, str) else tuple(lang_chain)
        for lang in (*chain, self.default_language):
            text = self._texts.get(lang, {}).get(reply_id)
            if text:
                return lang, text
        return None

    def text(self, reply_id: str, lang_chain: Sequence[str]) -> str | None:
        """The reply's text in the first language of the chain that has it; default last."""
        found = self.resolve(reply_id, lang_chain)
        return found[1] if found else None

    def is_draft(self, lang: str, reply_id: str | None = None) -> bool:
        """True if the language file (or that one text) is not reviewed yet."""
        return lang in self._draft_languages or (lang, reply_id) in self._draft_items

    def coverage(self) -> dict[str, tuple[int, int]]:
        """Per language present: (replies with a text, all replies)."""
        total = len(self._items)
        return {
            lang: (sum(1 for i in self._items if by_id.get(i)), total)
            for lang, by_id in self._texts.items()
        }


def _structure(root: Path, problems: list[Problem]) -> tuple[list[Reply], dict[str, int]] | None:
    path = root / FILE_NAME
    rep = Reporter(relative(path, root), problems)
    if not path.exists():
        rep.warning(0, "no replies.yaml: caseworkers get no canned replies")
        return None
    try:
        data = load_yaml(path)
    except YamlError as exc:
        rep.error(exc.line, exc.message)
        return None
    if data is None:
        return [], {}
    if not isinstance(data, LineDict) or not isinstance(data.get("replies"), list):
        rep.error(getattr(data, "line", 1), "expected `replies:` with a list")
        return None
    for key in data:
        if key != "replies":
            rep.warning(data.line_of(key), f"unknown key {key!r}")
    items: list[Reply] = []
    lines: dict[str, int] = {}
    for node in data["replies"]:
        line = getattr(node, "line", 0) or data.line_of("replies")
        if not isinstance(node, LineDict):
            rep.error(line, "each reply must be a mapping with id and note")
            continue
        reply_id = node.get("id")
        if not isinstance(reply_id, str) or not _ID.match(reply_id):
            rep.error(
                node.line_of("id"),
                f"reply id {reply_id!r} must be lowercase ASCII, digits, _ and dots",
            )
            continue
        if reply_id in lines:
            rep.error(
                node.line_of("id"),
                f"reply {reply_id!r} is defined twice (first at line {lines[reply_id]})",
            )
            continue
        for key in node:
            if key not in ("id", "note"):
                rep.warning(node.line_of(key), f"reply {reply_id!r}: unknown key {key!r}")
        note = node.get("note")
        if not isinstance(note, str) or not note.strip():
            rep.warning(
                node.line,
                f"reply {reply_id!r} has no note: caseworkers need it to choose a reply",
            )
            note = ""
        items.append(Reply(reply_id, note.strip()))
        lines[reply_id] = node.line
    return items, lines


def _texts(
    root: Path,
    lang: str,
    known: Mapping[str, int],
    problems: list[Problem],
    drafts: set[str],
    item_drafts: set[tuple[str, str]],
) -> dict[str, str] | None:
    path = root / "text" / lang / FILE_NAME
    rep = Reporter(relative(path, root), problems)
    if not path.exists():
        return None
    try:
        data = load_yaml(path)
    except YamlError as exc:
        rep.error(exc.line, exc.message)
        return {}
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        rep.error(1, "expected a mapping with `draft:` and `replies:`")
        return {}
    for key in data:
        if key not in ("draft", "replies"):
            rep.warning(data.line_of(key), f"unknown key {key!r}")
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        rep.error(data.line_of("draft"), "draft must be true or false")
    elif draft:
        drafts.add(lang)
    node = data.get("replies")
    if node is None:
        return {}
    if not isinstance(node, LineDict):
        rep.error(data.line_of("replies"), "replies must map reply ids to texts")
        return {}
    texts: dict[str, str] = {}
    for reply_id, value in node.items():
        line = node.line_of(reply_id)
        if reply_id not in known:
            rep.warning(
                line,
                f"text for unknown reply {reply_id!r} (not in replies.yaml): it is never shown",
            )
            continue
        if isinstance(value, LineDict):
            item_draft = value.get("draft", False)
            if not isinstance(item_draft, bool):
                rep.error(value.line_of("draft"), "draft must be true or false")
            elif item_draft:
                item_drafts.add((lang, reply_id))
            value = value.get("text")
        if not isinstance(value, str) or not value.strip():
            rep.error(line, f"reply {reply_id!r}: the text must be non-empty text")
            continue
        text = value.strip()
        if len(text) > MAX_TEXT:
            rep.error(
                line,
                f"reply {reply_id!r} is {len(text)} characters; one message holds {MAX_TEXT}",
            )
            continue
        texts[reply_id] = text
    return texts


def load_replies(
    root: Path, languages: Iterable[str], default_language: str
) -> tuple[Replies, list[Problem], dict[str, tuple[int, int]]]:
    """Load replies and their texts; return them, problems with lines, and coverage by language.

    Coverage is `{lang: (replies with a text in lang, all replies)}` for every language asked.
    """
    problems: list[Problem] = []
    structure = _structure(root, problems)
    items, lines = structure if structure is not None else ([], {})
    drafts: set[str] = set()
    item_drafts: set[tuple[str, str]] = set()
    texts: dict[str, dict[str, str]] = {}
    langs = list(dict.fromkeys([*languages, default_language]))
    for lang in langs:
        found = _texts(root, lang, lines, problems, drafts, item_drafts)
        if found is not None:
            texts[lang] = found
    default_texts = texts.get(default_language, {})
    default_rep = Reporter(relative(root / "text" / default_language / FILE_NAME, root), problems)
    for item in items:
        if item.id not in default_texts:
            default_rep.error(
                0,
                f"reply {item.id!r} has no text in {default_language}, the default "
                f"language (replies.yaml line {lines[item.id]})",
            )
    replies = Replies(items, texts, default_language, drafts, item_drafts)
    total = len(items)
    coverage = {
        lang: (sum(1 for i in items if i.id in texts.get(lang, {})), total) for lang in langs
    }
    return replies, problems, coverage
