"""Load a content pack from YAML and validate it, reporting every problem with file and line."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.content.freshness import Freshness, page_sources, source_warnings, states_a_number
from bot.content.model import (
    LABEL_SECTIONS,
    Category,
    Contact,
    Direction,
    FaqItem,
    ItemText,
    Language,
    Languages,
    Pack,
    Source,
    Topic,
)
from bot.content.pages import MAX_PAGE_CHARS, MAX_TITLE_CHARS, split_pages
from bot.content.problems import PackError, Problem, Reporter, relative
from bot.content.textrules import (
    DAYS_PER_UNIT,
    KEYBOARD_KEYS,
    LanguageRules,
    TextRules,
    decompose,
)
from bot.content.yamlio import LineDict, LineList, YamlError, load_yaml

# Ids travel in callback data ("f:<id>", at most 64 bytes), so they stay short ASCII.
_ID = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_MAX_ID = 48
_LANG_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOST = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)
# How a language is written (stop words, folds, keyboard ...): text/<lang>/language.yaml.
LANGUAGE_FILE = "language.yaml"
_LANGUAGE_KEYS = {
    "stop_words",
    "negations",
    "folds",
    "keyboard",
    "transliteration",
    "stemming",
    "alphabet",
    "durations",
    "duration_filler",
}
_WORD = re.compile(r"^[^\W\d_]+$")
_TRANSLIT_KEY = re.compile(r"^[a-z']+$")

# Files other loaders own (flows, routing, canned replies): present but not ours to check.
_ROOT_FILES = {
    "languages.yaml",
    "subscriptions.yaml",
    "pack.yaml",
    "topics.yaml",
    "contacts.yaml",
    "categories.yaml",
    "routing.yaml",
    "replies.yaml",
    "intents.yaml",
    "README.md",
}
_ROOT_DIRS = {"faq", "flows", "text", "announcements"}
_TEXT_FILES_OURS = {"faq.yaml", "labels.yaml", "sources.yaml", LANGUAGE_FILE}
_TEXT_FILES_OTHERS = {"flows.yaml", "replies.yaml", "intents.yaml", "subscriptions.yaml"}


def load_pack(root: Path) -> Pack:
    """Load and validate the pack at `root`; raise PackError listing every error."""
    pack, problems = inspect_pack(root)
    errors = [p for p in problems if p.severity == "error"]
    if pack is None or errors:
        raise PackError(errors or problems)
    return pack


def default_content_dir() -> Path:
    """CONTENT_DIR if set, else ./content, else the checkout's content/ (as settings read it)."""
    configured = os.environ.get("CONTENT_DIR", "").strip()
    if configured:
        return Path(configured)
    here = Path("content")
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "content"


def load_languages(root: Path) -> tuple[Languages, list[Problem]]:
    """Only languages.yaml, for tools that need the chains without the whole pack (`flows
    show`, `python -m bot i18n`): the languages it could read, and its problems."""
    loader = _PackLoader(Path(root))
    loader.load_languages()
    return Languages(loader.languages, loader.default), sorted(set(loader.problems))


def read_text_rules(root: Path) -> TextRules:
    """The text rules of the pack at `root` from languages.yaml and each language's
    language.yaml, leaving out what is invalid (`content check` reports it)."""
    loader = _PackLoader(Path(root))
    if (loader.root / "languages.yaml").is_file():
        loader.load_languages()
        loader.load_language_data()
    return loader.text_rules()


def inspect_pack(
    root: Path, freshness: Freshness | None = None
) -> tuple[Pack | None, list[Problem]]:
    """Load the pack and return it (None if it has errors) with all errors and warnings.

    With `freshness` (what `content check` passes), also warn about homepage sources,
    `last_checked` dates older than its age, and answers stating numbers without a page.
    """
    loader = _PackLoader(Path(root))
    pack = loader.run()
    if freshness is not None and pack is not None:
        loader.check_freshness(freshness)
    return pack, sorted(set(loader.problems))


def pack_version(root: Path) -> str:
    """A short hash of every file in the pack, to tell whether a reload changed anything."""
    digest = hashlib.sha256()
    for path in sorted(_pack_files(root)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _pack_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            yield path


class _PackLoader:
    """One pass over a pack directory; collects problems instead of stopping at the first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.languages: dict[str, Language] = {}
        self.default = ""
        self.pack_id = ""
        self.audiences: dict[str, int] = {}
        self.call_centre = ""
        self.topics: dict[str, Topic] = {}
        self.items: dict[str, FaqItem] = {}
        self.contacts: dict[str, Contact] = {}
        self.categories: dict[str, Category] = {}
        self.texts: dict[str, dict[str, ItemText]] = {}
        self.labels: dict[str, dict[str, dict[str, str]]] = {}
        self.welcome: dict[str, str] = {}
        self.drafts: dict[str, bool] = {}
        self.source_names: dict[str, dict[str, str]] = {}
        self.label_drafts: dict[str, bool] = {}
        self.language_rules: dict[str, LanguageRules] = {}
        self.fold_lines: dict[tuple[str, str], int] = {}
        self.duration_lines: dict[tuple[str, str], int] = {}
        # Where each item's text is, per language: (path, line) for warnings about a text.
        self.text_where: dict[tuple[str, str], tuple[Path, int]] = {}
        # Where each id was defined, for duplicate and reference messages.
        self.where: dict[tuple[str, str], tuple[Path, int]] = {}
        # The YAML mapping each loaded id came from, to point references at their lines.
        self.lines: dict[tuple[str, str], LineDict] = {}
        self.call_centre_line = 0
        # Files that could not be parsed: references into them are not reported, since
        # every one would be a false alarm caused by the one syntax error.
        self.broken: set[str] = set()

    # --- reporting -------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        return relative(path, self.root)

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message, "error"))

    def warning(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message, "warning"))

    # --- typed field access ----------------------------------------------------------

    def read(self, path: Path, required: bool = True) -> LineDict | None:
        """Parse a YAML file whose top level must be a mapping."""
        if not path.is_file():
            if required:
                self.error(path, 0, "file is missing")
            return None
        try:
            data = load_yaml(path)
        except YamlError as exc:
            self.error(path, exc.line, f"invalid YAML: {exc.message}")
            self.broken.add(_kind_of_file(path, self.root))
            return None
        if data is None:
            data = LineDict()
            data.line, data.key_lines = 1, {}
        if not isinstance(data, LineDict):
            self.error(path, getattr(data, "line", 1), "the file must be a mapping of keys")
            self.broken.add(_kind_of_file(path, self.root))
            return None
        return data

    def keys(
        self, path: Path, d: LineDict, what: str, required: set[str], optional: set[str]
    ) -> None:
        """Report unknown and missing keys of one mapping."""
        Reporter(self.rel(path), self.problems).keys(d, what, optional, required)

    def text_field(
        self, path: Path, d: LineDict, key: str, what: str, default: str | None = None
    ) -> str | None:
        if key not in d:
            return default
        value = d[key]
        if value is None and default is not None:
            return default
        if value is None:
            self.error(path, d.line_of(key), f"{what}: {key!r} has no value")
            return None
        if not isinstance(value, str):
            self.error(path, d.line_of(key), f"{what}: {key!r} must be text, not {_kind(value)}")
            return None
        if not value.strip():
            if default is not None:
                return default
            self.error(path, d.line_of(key), f"{what}: {key!r} is empty")
            return None
        return value

    def bool_field(self, path: Path, d: LineDict, key: str, what: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            self.error(path, d.line_of(key), f"{what}: {key!r} must be true or false")
            return default
        return value

    def list_field(self, path: Path, d: LineDict, key: str, what: str) -> tuple[str, ...]:
        """A list of text values (ids, keywords); absent means empty."""
        value = d.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, d.line_of(key), f"{what}: {key!r} must be a list")
            return ()
        out: list[str] = []
        for entry in value:
            if isinstance(entry, str) and entry.strip():
                out.append(entry.strip())
            else:
                self.error(path, d.line_of(key), f"{what}: {key!r} entries must be text")
        return tuple(out)

    def date_field(self, path: Path, d: LineDict, key: str, what: str) -> date | None:
        value = d.get(key)
        if value is None:
            return None
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(
            path, d.line_of(key), f"{what}: {key!r} must be a date YYYY-MM-DD, got {value!r}"
        )
        return None

    def sources_field(self, path: Path, d: LineDict, what: str) -> tuple[Source, ...]:
        value = d.get("sources")
        line = d.line_of("sources")
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.error(path, line, f"{what}: 'sources' must be a non-empty list")
            return ()
        out: list[Source] = []
        for entry in value:
            if not isinstance(entry, LineDict):
                self.error(path, line, f"{what}: each source needs 'title' and 'url'")
                continue
            self.keys(path, entry, f"{what} source", {"title", "url"}, set())
            title = self.text_field(path, entry, "title", f"{what} source")
            url = self.text_field(path, entry, "url", f"{what} source")
            if url is not None and not _is_http_url(url):
                self.error(
                    path, entry.line_of("url"), f"{what}: source url must be http(s): {url!r}"
                )
                url = None
            if title is not None and url is not None:
                out.append(Source(title.strip(), url.strip()))
        return tuple(out)

    def id_field(self, path: Path, d: LineDict, kind: str, what: str) -> str | None:
        """Read `id`, check its form, and remember where it was defined (duplicates)."""
        value = self.text_field(path, d, "id", what)
        if value is None:
            return None
        line = d.line_of("id")
        if not _ID.match(value) or len(value) > _MAX_ID:
            self.error(
                path,
                line,
                f"{what}: id {value!r} must be short lowercase ASCII words joined by . _ or -"
                f" (at most {_MAX_ID} characters)",
            )
            return None
        earlier = self.where.get((kind, value))
        if earlier is not None:
            self.error(
                path,
                line,
                f"duplicate {kind} id {value!r} (first defined at "
                f"{self.rel(earlier[0])}:{earlier[1]})",
            )
            return None
        self.where[(kind, value)] = (path, line)
        return value

    def entries(self, path: Path, data: LineDict | None, key: str) -> list[LineDict]:
        """The list of mappings under `key` of a structure file whose only key is `key`."""
        if data is None:
            return []
        self.keys(path, data, path.name, {key}, set())
        return self.entries_of(path, data, key)

    # --- the files -------------------------------------------------------------------

    def run(self) -> Pack | None:
        if not self.root.is_dir():
            self.error(self.root, 0, "content directory not found")
            return None
        self.scan_layout()
        self.load_languages()
        self.load_pack_settings()
        self.load_topics()
        self.load_items()
        self.load_contacts()
        self.load_categories()
        self.load_texts()
        self.load_language_data()
        self.check_references()
        self.check_default_texts()
        if any(p.severity == "error" for p in self.problems):
            return None
        return Pack(
            id=self.pack_id,
            languages=self.languages,
            default_language=self.default,
            audiences=tuple(self.audiences),
            call_centre=self.call_centre,
            topics=self.topics,
            items=self.items,
            contacts=self.contacts,
            categories=self.categories,
            texts={code: self.texts.get(code, {}) for code in self.languages},
            labels={
                code: {s: self.labels.get(code, {}).get(s, {}) for s in LABEL_SECTIONS}
                for code in self.languages
            },
            text_drafts={code: self.drafts.get(code, False) for code in self.languages},
            welcome=self.welcome,
            version=pack_version(self.root),
            root=self.root,
            source_names=self.source_names,
            label_drafts={code: self.label_drafts.get(code, False) for code in self.languages},
            text_rules=self.text_rules(),
        )

    def scan_layout(self) -> None:
        """Warn about files the bot would silently ignore (a typo in a file name)."""
        for path in sorted(self.root.iterdir()):
            if path.name.startswith("."):
                continue
            if path.is_dir() and path.name not in _ROOT_DIRS:
                self.warning(path, 0, "unknown directory, ignored")
            elif path.is_file() and path.name not in _ROOT_FILES:
                self.warning(path, 0, "unknown file, ignored")
        faq_dir = self.root / "faq"
        if faq_dir.is_dir():
            for path in sorted(faq_dir.iterdir()):
                if not path.name.startswith(".") and path.suffix != ".yaml":
                    self.warning(path, 0, "not a .yaml file, ignored")

    def load_languages(self) -> None:
        path = self.root / "languages.yaml"
        data = self.read(path)
        if data is None:
            return
        self.keys(path, data, "languages.yaml", {"default", "languages"}, set())
        entries = self.entries_of(path, data, "languages")
        for entry in entries:
            what = "language"
            self.keys(
                path, entry, what, {"code", "name"}, {"direction", "fallback", "enabled", "aliases"}
            )
            code = self.text_field(path, entry, "code", what)
            if code is None:
                continue
            if not _LANG_CODE.match(code):
                self.error(
                    path,
                    entry.line_of("code"),
                    f"language code {code!r} is not like 'az' or 'pt-br'",
                )
                continue
            if code in self.languages:
                self.error(path, entry.line_of("code"), f"duplicate language {code!r}")
                continue
            what = f"language {code!r}"
            name = self.text_field(path, entry, "name", what) or code
            direction: Direction = "ltr"
            if entry.get("direction", "ltr") == "rtl":
                direction = "rtl"
            elif entry.get("direction", "ltr") != "ltr":
                self.error(
                    path,
                    entry.line_of("direction"),
                    f"{what}: direction must be ltr or rtl, got {entry.get('direction')!r}",
                )
            self.languages[code] = Language(
                code=code,
                name=name,
                direction=direction,
                fallback=self.list_field(path, entry, "fallback", what),
                enabled=self.bool_field(path, entry, "enabled", what, True),
                aliases=tuple(a.lower() for a in self.list_field(path, entry, "aliases", what)),
            )
            self.where[("language", code)] = (path, entry.line)
            self.lines[("language", code)] = entry
        default = self.text_field(path, data, "default", "languages.yaml")
        if default is not None:
            self.default = default
            if default not in self.languages:
                self.error(
                    path, data.line_of("default"), f"default language {default!r} is not declared"
                )
            elif not self.languages[default].enabled:
                self.error(
                    path, data.line_of("default"), f"default language {default!r} is not enabled"
                )
        aliased: dict[str, str] = {}
        for code, lang in self.languages.items():
            line = self.lines[("language", code)].line_of("aliases")
            for alias in lang.aliases:
                if not _LANG_CODE.match(alias):
                    self.error(
                        path,
                        line,
                        f"language {code!r}: alias {alias!r} is not like 'uz' or 'fa-af'",
                    )
                elif alias in self.languages:
                    self.error(
                        path, line, f"language {code!r}: alias {alias!r} is a language of the pack"
                    )
                elif alias in aliased:
                    self.error(
                        path,
                        line,
                        f"alias {alias!r} is given to both {aliased[alias]!r} and {code!r}",
                    )
                else:
                    aliased[alias] = code
        for code, lang in self.languages.items():
            line = self.lines[("language", code)].line_of("fallback")
            for fallback in lang.fallback:
                if fallback not in self.languages:
                    self.error(
                        path, line, f"language {code!r}: fallback {fallback!r} is not declared"
                    )
                elif fallback == code:
                    self.warning(path, line, f"language {code!r} lists itself as a fallback")

    def entries_of(self, path: Path, data: LineDict, key: str) -> list[LineDict]:
        """Like `entries` for files with more top-level keys than the list."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, data.line_of(key), f"{key!r} must be a list")
            return []
        out = [e for e in value if isinstance(e, LineDict)]
        if len(out) != len(value):
            self.error(
                path,
                getattr(value, "line", data.line_of(key)),
                f"each of {key!r} must be a mapping",
            )
        return out

    def load_pack_settings(self) -> None:
        path = self.root / "pack.yaml"
        data = self.read(path)
        if data is None:
            return
        self.keys(path, data, "pack.yaml", {"id", "audiences", "call_centre"}, set())
        self.pack_id = self.text_field(path, data, "id", "pack.yaml") or ""
        for audience in self.list_field(path, data, "audiences", "pack.yaml"):
            if not _ID.match(audience):
                self.error(
                    path,
                    data.line_of("audiences"),
                    f"audience id {audience!r} must be lowercase ASCII",
                )
            elif audience in self.audiences:
                self.error(path, data.line_of("audiences"), f"duplicate audience {audience!r}")
            else:
                self.audiences[audience] = data.line_of("audiences")
                self.where[("audience", audience)] = (path, data.line_of("audiences"))
        self.call_centre = self.text_field(path, data, "call_centre", "pack.yaml") or ""
        self.call_centre_line = data.line_of("call_centre")

    def load_topics(self) -> None:
        path = self.root / "topics.yaml"
        for order, entry in enumerate(self.entries(path, self.read(path), "topics")):
            self.keys(path, entry, "topic", {"id"}, {"parent", "icon", "audiences"})
            topic_id = self.id_field(path, entry, "topic", "topic")
            if topic_id is None:
                continue
            what = f"topic {topic_id!r}"
            self.topics[topic_id] = Topic(
                id=topic_id,
                # `parent:` left empty reads as "top level", like leaving it out.
                parent=self.text_field(path, entry, "parent", what, default="") or None,
                icon=self.text_field(path, entry, "icon", what, default="") or "",
                audiences=self.list_field(path, entry, "audiences", what),
                order=order,
            )
            self.lines[("topic", topic_id)] = entry

    def load_items(self) -> None:
        faq_dir = self.root / "faq"
        if not faq_dir.is_dir():
            self.warning(faq_dir, 0, "no faq/ directory: the pack has no FAQ items")
            return
        for path in sorted(faq_dir.glob("*.yaml")):
            for entry in self.entries(path, self.read(path), "items"):
                self.load_item(path, entry)

    def load_item(self, path: Path, entry: LineDict) -> None:
        self.keys(
            path,
            entry,
            "item",
            {"id", "topic", "sources", "last_checked"},
            {"audiences", "importance", "reviewed", "related", "flows"},
        )
        item_id = self.id_field(path, entry, "item", "item")
        if item_id is None:
            return
        what = f"item {item_id!r}"
        importance = entry.get("importance")
        if importance is not None and (
            isinstance(importance, bool) or not isinstance(importance, int) or importance < 1
        ):
            self.error(
                path,
                entry.line_of("importance"),
                f"{what}: importance must be a whole number from 1",
            )
            importance = None
        topic = self.text_field(path, entry, "topic", what)
        sources = self.sources_field(path, entry, what)
        checked = self.date_field(path, entry, "last_checked", what)
        if topic is None or not sources or checked is None:
            return
        self.items[item_id] = FaqItem(
            id=item_id,
            topic=topic,
            audiences=self.list_field(path, entry, "audiences", what),
            importance=importance,
            sources=sources,
            last_checked=checked,
            reviewed=self.bool_field(path, entry, "reviewed", what, True),
            related=self.list_field(path, entry, "related", what),
            flows=self.list_field(path, entry, "flows", what),
        )
        self.lines[("item", item_id)] = entry

    def load_contacts(self) -> None:
        path = self.root / "contacts.yaml"
        for entry in self.entries(path, self.read(path, required=False), "contacts"):
            self.keys(
                path,
                entry,
                "contact",
                {"id", "number", "sources", "last_checked"},
                {"emergency", "reviewed"},
            )
            contact_id = self.id_field(path, entry, "contact", "contact")
            if contact_id is None:
                continue
            what = f"contact {contact_id!r}"
            if isinstance(entry.get("number"), int | float):
                self.error(
                    path,
                    entry.line_of("number"),
                    f'{what}: quote the number ("112") so it stays text',
                )
                continue
            number = self.text_field(path, entry, "number", what)
            sources = self.sources_field(path, entry, what)
            checked = self.date_field(path, entry, "last_checked", what)
            emergency = self.bool_field(path, entry, "emergency", what, False)
            reviewed = self.bool_field(path, entry, "reviewed", what, True)
            if number is None or not sources or checked is None:
                continue
            self.contacts[contact_id] = Contact(
                id=contact_id,
                number=number.strip(),
                emergency=emergency,
                sources=sources,
                last_checked=checked,
                reviewed=reviewed,
            )
            self.lines[("contact", contact_id)] = entry

    def load_categories(self) -> None:
        path = self.root / "categories.yaml"
        for entry in self.entries(path, self.read(path, required=False), "categories"):
            self.keys(path, entry, "category", {"id"}, {"icon"})
            category_id = self.id_field(path, entry, "category", "category")
            if category_id is None:
                continue
            icon = self.text_field(path, entry, "icon", f"category {category_id!r}", default="")
            self.categories[category_id] = Category(category_id, icon or "")
            self.lines[("category", category_id)] = entry

    # --- texts -----------------------------------------------------------------------

    def load_texts(self) -> None:
        text_dir = self.root / "text"
        if not text_dir.is_dir():
            self.error(
                text_dir, 0, "no text/ directory: every text must exist in the default language"
            )
            return
        for lang_dir in sorted(text_dir.iterdir()):
            if lang_dir.name.startswith("."):
                continue
            if not lang_dir.is_dir():
                self.warning(lang_dir, 0, "unknown file, ignored (texts go in text/<lang>/)")
                continue
            code = lang_dir.name
            if code not in self.languages:
                if not self.unknown("language", code):
                    continue
                self.error(
                    lang_dir,
                    0,
                    f"texts for language {code!r}, which languages.yaml does not declare",
                )
                continue
            for path in sorted(lang_dir.iterdir()):
                if path.name.startswith(".") or path.name in _TEXT_FILES_OTHERS:
                    continue
                if path.name not in _TEXT_FILES_OURS:
                    self.warning(path, 0, "unknown file, ignored")
            self.load_faq_texts(code, lang_dir / "faq.yaml")
            self.load_labels(code, lang_dir / "labels.yaml")
            self.load_source_names(code, lang_dir / "sources.yaml")

    def file_draft(self, code: str, path: Path, data: LineDict) -> bool:
        draft = self.bool_field(path, data, "draft", path.name, False)
        self.drafts[code] = self.drafts.get(code, False) or draft
        return draft

    def load_faq_texts(self, code: str, path: Path) -> None:
        data = self.read(path, required=False)
        if data is None:
            return
        self.keys(path, data, "faq.yaml", set(), {"draft", "items"})
        file_draft = self.file_draft(code, path, data)
        items = data.get("items")
        if items is None:
            return
        if not isinstance(items, LineDict):
            self.error(path, data.line_of("items"), "'items' must map item ids to texts")
            return
        texts = self.texts.setdefault(code, {})
        for item_id, entry in items.items():
            line = items.line_of(item_id)
            if self.unknown("item", item_id):
                self.error(path, line, f"text for unknown item {item_id!r}")
                continue
            if ("item", item_id) not in self.where:
                continue
            if not isinstance(entry, LineDict):
                self.error(
                    path, line, f"item {item_id!r}: text must be a mapping with title and answer"
                )
                continue
            what = f"{code} text of {item_id!r}"
            self.keys(path, entry, what, {"title", "answer"}, {"keywords", "synonyms", "draft"})
            title = self.text_field(path, entry, "title", what)
            answer = self.text_field(path, entry, "answer", what)
            keywords = self.list_field(path, entry, "keywords", what)
            synonyms = self.list_field(path, entry, "synonyms", what)
            draft = self.bool_field(path, entry, "draft", what, False)
            if title is None or answer is None:
                continue
            title = " ".join(title.split())
            if len(title) > MAX_TITLE_CHARS:
                self.warning(
                    path,
                    entry.line_of("title"),
                    f"{what}: title has {len(title)} characters; "
                    f"buttons show about {MAX_TITLE_CHARS}",
                )
            pages = split_pages(answer)
            if not pages:
                self.error(path, entry.line_of("answer"), f"{what}: answer has no text")
                continue
            for number, page in enumerate(pages, 1):
                if len(page) > MAX_PAGE_CHARS:
                    self.error(
                        path,
                        entry.line_of("answer"),
                        f"{what}: page {number} has {len(page)} characters (at most "
                        f"{MAX_PAGE_CHARS}); split it with a line containing only ---",
                    )
            self.text_where[(code, item_id)] = (path, line)
            texts[item_id] = ItemText(
                title=title,
                answer=answer.strip(),
                pages=pages,
                keywords=keywords,
                synonyms=synonyms,
                draft=draft or file_draft,
            )

    def load_labels(self, code: str, path: Path) -> None:
        data = self.read(path, required=False)
        if data is None:
            return
        self.keys(path, data, "labels.yaml", set(), {"draft", "welcome", *LABEL_SECTIONS})
        self.label_drafts[code] = self.file_draft(code, path, data)
        welcome = data.get("welcome")
        if welcome is not None:
            if not isinstance(welcome, str) or not welcome.strip():
                self.error(path, data.line_of("welcome"), "welcome must be non-empty text")
            elif len(welcome) > MAX_WELCOME_CHARS:
                self.error(
                    path,
                    data.line_of("welcome"),
                    f"welcome has {len(welcome)} characters; at most {MAX_WELCOME_CHARS}",
                )
            else:
                self.welcome[code] = " ".join(welcome.split())
        kinds = _SECTION_KIND
        for section in LABEL_SECTIONS:
            entries = data.get(section)
            if entries is None:
                continue
            if not isinstance(entries, LineDict):
                self.error(path, data.line_of(section), f"{section!r} must map ids to names")
                continue
            found = self.labels.setdefault(code, {}).setdefault(section, {})
            for label_id, value in entries.items():
                line = entries.line_of(label_id)
                if self.unknown(kinds[section], label_id):
                    self.error(path, line, f"label for unknown {kinds[section]} {label_id!r}")
                    continue
                if (kinds[section], label_id) not in self.where:
                    continue
                if not isinstance(value, str) or not value.strip():
                    self.error(
                        path, line, f"{section}: label of {label_id!r} must be non-empty text"
                    )
                    continue
                value = " ".join(value.split())
                if section != "contacts" and len(value) > MAX_TITLE_CHARS:
                    self.warning(
                        path,
                        line,
                        f"{section}: label of {label_id!r} has {len(value)} characters;"
                        f" buttons show about {MAX_TITLE_CHARS}",
                    )
                found[label_id] = value

    def load_source_names(self, code: str, path: Path) -> None:
        """Short names of sources in one language, by URL or host ("migration.gov.az")."""
        data = self.read(path, required=False)
        if data is None:
            return
        self.keys(path, data, "sources.yaml", set(), {"draft", "sources"})
        self.file_draft(code, path, data)
        entries = data.get("sources")
        if entries is None:
            return
        if not isinstance(entries, LineDict):
            self.error(path, data.line_of("sources"), "'sources' must map hosts or URLs to names")
            return
        found = self.source_names.setdefault(code, {})
        for key, value in entries.items():
            line = entries.line_of(key)
            is_url = _is_http_url(key)
            if not is_url and not _HOST.match(key):
                self.error(
                    path,
                    line,
                    f"sources: {key!r} must be a host like migration.gov.az or an http(s) URL",
                )
                continue
            if not isinstance(value, str) or not value.strip():
                self.error(path, line, f"sources: the name of {key!r} must be non-empty text")
                continue
            found[key.rstrip("/") if is_url else key.lower().removeprefix("www.")] = " ".join(
                value.split()
            )

    # --- how each language is written ------------------------------------------------

    def load_language_data(self) -> None:
        """text/<lang>/language.yaml of every declared language; then the checks across them."""
        for code, lang in self.languages.items():
            path = self.root / "text" / code / LANGUAGE_FILE
            if path.is_file():
                rules = self.load_language_rules(code, path)
                if rules is not None:
                    self.language_rules[code] = rules
            elif lang.enabled:
                self.warning(
                    path,
                    0,
                    f"no {LANGUAGE_FILE} for language {code!r}: search knows none of its stop"
                    " words, letters typed interchangeably or keyboard layout (see"
                    " content/README.md)",
                )
        self.check_folds()
        self.check_durations()

    def text_rules(self) -> TextRules:
        rules = self.language_rules
        return TextRules([rules[code] for code in self.languages if code in rules])

    def words_field(self, path: Path, d: LineDict, key: str, what: str) -> tuple[str, ...]:
        """Words as one text separated by spaces, or as a list of texts."""
        value = d.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(value.split())
        if not isinstance(value, list):
            self.error(path, d.line_of(key), f"{what}: {key!r} must be words separated by spaces")
            return ()
        out: list[str] = []
        for entry in value:
            if isinstance(entry, bool):
                # yes/no/on/off unquoted read as booleans in YAML
                self.error(
                    path,
                    d.line_of(key),
                    f"{what}: {key!r}: quote {str(entry).lower()!r} so it stays text",
                )
            elif isinstance(entry, str | int | float) and str(entry).strip():
                out.extend(str(entry).split())
            else:
                self.error(path, d.line_of(key), f"{what}: {key!r} entries must be words")
        return tuple(out)

    def load_language_rules(self, code: str, path: Path) -> LanguageRules | None:
        data = self.read(path, required=False)
        if data is None:
            return None
        what = f"{code} {LANGUAGE_FILE}"
        self.keys(path, data, what, set(), _LANGUAGE_KEYS)
        stemming = self.bool_field(path, data, "stemming", what, False)
        alphabet = self.text_field(path, data, "alphabet", what, default="") or ""
        letters = "".join(alphabet.split())
        if letters and not letters.isalpha():
            self.error(path, data.line_of("alphabet"), f"{what}: 'alphabet' must be letters only")
            letters = ""
        if stemming and not letters:
            self.error(
                path,
                data.line_of("stemming"),
                f"{what}: 'stemming' needs the 'alphabet':"
                " which letters this language's words start with",
            )
        return LanguageRules(
            code=code,
            stop_words=self.words_field(path, data, "stop_words", what),
            negations=self.words_field(path, data, "negations", what),
            folds=self.folds_field(code, path, data, what),
            keyboard=self.keyboard_field(path, data, what),
            transliteration=self.translit_field(path, data, what),
            stemming=stemming and bool(letters),
            alphabet=letters,
            durations=self.durations_field(code, path, data, what),
            duration_filler=self.plain_words(path, data, "duration_filler", what),
        )

    def plain_words(self, path: Path, d: LineDict, key: str, what: str) -> tuple[str, ...]:
        """Words matched as typed (lower case, letters only)."""
        out: list[str] = []
        for word in self.words_field(path, d, key, what):
            if _WORD.match(word):
                out.append(word.lower())
            else:
                self.error(path, d.line_of(key), f"{what}: {key!r}: {word!r} must be letters only")
        return tuple(out)

    def durations_field(
        self, code: str, path: Path, d: LineDict, what: str
    ) -> tuple[tuple[str, str], ...]:
        value = d.get("durations")
        if value is None:
            return ()
        units = ", ".join(DAYS_PER_UNIT)
        if not isinstance(value, LineDict):
            self.error(
                path, d.line_of("durations"), f"{what}: 'durations' must map {units} to words"
            )
            return ()
        out: list[tuple[str, str]] = []
        for unit in value:
            if unit not in DAYS_PER_UNIT:
                self.error(
                    path,
                    value.line_of(unit),
                    f"{what}: durations: unknown unit {unit!r} (allowed: {units})",
                )
                continue
            for word in self.plain_words(path, value, unit, f"{what}: durations"):
                out.append((word, unit))
                self.duration_lines[(code, word)] = value.line_of(unit)
        return tuple(out)

    def folds_field(
        self, code: str, path: Path, d: LineDict, what: str
    ) -> tuple[tuple[str, str], ...]:
        value = d.get("folds")
        if value is None:
            return ()
        if not isinstance(value, LineDict):
            self.error(
                path,
                d.line_of("folds"),
                f"{what}: 'folds' must map a character to what it reads as",
            )
            return ()
        out: list[tuple[str, str]] = []
        for key, target in value.items():
            line = value.line_of(key)
            plain = decompose(key)
            if len(key) != 1 or not key.strip():
                self.error(path, line, f"{what}: folds: {key!r} must be one character")
            elif plain != key:
                self.error(
                    path,
                    line,
                    f"{what}: folds: {key!r} is already read as {plain!r} (lower case, accents and"
                    f" marks dropped); fold {plain!r} instead, or leave it out",
                )
            elif not isinstance(target, str):
                self.error(
                    path, line, f'{what}: folds: what {key!r} reads as must be text ("" drops it)'
                )
            else:
                out.append((key, decompose(target)))
                self.fold_lines[(code, key)] = line
        return tuple(out)

    def keyboard_field(self, path: Path, d: LineDict, what: str) -> str:
        keys = self.text_field(path, d, "keyboard", what, default="") or ""
        if not keys:
            return ""
        line = d.line_of("keyboard")
        repeated = sorted({ch for ch in keys if keys.count(ch) > 1})
        if len(keys) != KEYBOARD_KEYS or any(ch.isspace() for ch in keys):
            self.error(
                path,
                line,
                f"{what}: 'keyboard' must list {KEYBOARD_KEYS} keys without spaces, got {len(keys)}"
                " characters (the key left of 1, then the three letter rows)",
            )
        elif repeated:
            self.error(path, line, f"{what}: 'keyboard' has {''.join(repeated)!r} more than once")
        elif keys != keys.lower():
            self.error(path, line, f"{what}: 'keyboard' must be the lower-case letters")
        else:
            return keys
        return ""

    def translit_field(self, path: Path, d: LineDict, what: str) -> tuple[tuple[str, str], ...]:
        value = d.get("transliteration")
        if value is None:
            return ()
        if not isinstance(value, LineDict):
            self.error(
                path,
                d.line_of("transliteration"),
                f"{what}: 'transliteration' must map Latin letters to this language's letters",
            )
            return ()
        out: list[tuple[str, str]] = []
        for key, target in value.items():
            line = value.line_of(key)
            if not _TRANSLIT_KEY.match(key):
                self.error(
                    path,
                    line,
                    f"{what}: transliteration: {key!r} must be lower-case Latin letters a-z (or ')",
                )
            elif not isinstance(target, str) or not target.strip():
                self.error(
                    path, line, f"{what}: transliteration: what {key!r} stands for must be text"
                )
            else:
                out.append((key, target.strip().lower()))
        return tuple(out)

    def check_folds(self) -> None:
        """One character reads one way in the whole pack (all texts are searched together),
        and what it reads as is not folded again (so the result never depends on order)."""
        first: dict[str, tuple[str, str]] = {}
        for code, rules in self.language_rules.items():
            for key, target in rules.folds:
                if key in first and first[key][1] != target:
                    other = first[key][0]
                    self.error(
                        self.root / "text" / code / LANGUAGE_FILE,
                        self.fold_lines.get((code, key), 0),
                        f"{code} {LANGUAGE_FILE}: folds: {key!r} reads as {target!r} here but as"
                        f" {first[key][1]!r} in text/{other}/{LANGUAGE_FILE}; one character reads"
                        " one way in the whole pack",
                    )
                first.setdefault(key, (code, target))
        for code, rules in self.language_rules.items():
            for key, target in rules.folds:
                again = [ch for ch in target if ch in first]
                if again:
                    self.error(
                        self.root / "text" / code / LANGUAGE_FILE,
                        self.fold_lines.get((code, key), 0),
                        f"{code} {LANGUAGE_FILE}: folds: {key!r} reads as {target!r}, but"
                        f" {again[0]!r} is folded too (to {first[again[0]][1]!r}): fold {key!r}"
                        " straight to the final form",
                    )

    def check_durations(self) -> None:
        """A word for a unit of time means the same unit in every language (all are tried)."""
        first: dict[str, tuple[str, str]] = {}
        for code, rules in self.language_rules.items():
            for word, unit in rules.durations:
                if word in first and first[word][1] != unit:
                    self.error(
                        self.root / "text" / code / LANGUAGE_FILE,
                        self.duration_lines.get((code, word), 0),
                        f"{code} {LANGUAGE_FILE}: durations: {word!r} is a {unit} here but a"
                        f" {first[word][1]} in text/{first[word][0]}/{LANGUAGE_FILE};"
                        " typed durations are read with every language's words",
                    )
                first.setdefault(word, (code, unit))

    # --- cross-references ------------------------------------------------------------

    def check_references(self) -> None:
        topics_path = self.root / "topics.yaml"
        for topic in self.topics.values():
            entry = self.lines[("topic", topic.id)]
            if topic.parent is not None and topic.parent not in self.topics:
                if self.unknown("topic", topic.parent):
                    self.error(
                        topics_path,
                        entry.line_of("parent"),
                        f"topic {topic.id!r}: unknown parent {topic.parent!r}",
                    )
            self.check_audiences(topics_path, entry, f"topic {topic.id!r}", topic.audiences)
        self.check_cycles(topics_path)
        used_topics: set[str] = set()
        for item in self.items.values():
            entry = self.lines[("item", item.id)]
            path = self.where[("item", item.id)][0]
            what = f"item {item.id!r}"
            used_topics.add(item.topic)
            if item.topic not in self.topics and self.unknown("topic", item.topic):
                self.error(path, entry.line_of("topic"), f"{what}: unknown topic {item.topic!r}")
            for related in item.related:
                if self.unknown("item", related):
                    self.error(
                        path,
                        entry.line_of("related"),
                        f"{what}: related item {related!r} does not exist",
                    )
                elif related == item.id:
                    self.warning(path, entry.line_of("related"), f"{what} lists itself as related")
            self.check_audiences(path, entry, what, item.audiences)
        parents = {t.parent for t in self.topics.values()}
        for topic in self.topics.values():
            if (
                topic.id not in used_topics
                and topic.id not in parents
                and topic.id not in _RESERVED_TOPICS
            ):
                entry = self.lines[("topic", topic.id)]
                self.warning(
                    topics_path,
                    entry.line_of("id"),
                    f"topic {topic.id!r} has no items and no sub-topics",
                )
        if self.call_centre and self.call_centre not in self.contacts:
            if self.unknown("contact", self.call_centre):
                self.error(
                    self.root / "pack.yaml",
                    self.call_centre_line,
                    f"call_centre {self.call_centre!r} is not a contact in contacts.yaml",
                )

    def check_freshness(self, freshness: Freshness) -> None:
        """Warnings about sources: homepages, old `last_checked`, unsourced numbers."""
        for item in self.items.values():
            path, _line = self.where[("item", item.id)]
            entry = self.lines[("item", item.id)]
            what = f"item {item.id!r}"
            for message in source_warnings(item.sources, item.last_checked, freshness):
                key = "last_checked" if message.startswith("last_checked") else "sources"
                self.warning(path, entry.line_of(key), f"{what}: {message}")
            if page_sources(item.sources):
                continue
            for code in self.languages:
                text = self.texts.get(code, {}).get(item.id)
                if text is not None and states_a_number(text.answer):
                    text_path, text_line = self.text_where[(code, item.id)]
                    self.warning(
                        text_path,
                        text_line,
                        f"{code} text of {item.id!r} states a number (fee, deadline, phone)"
                        " but the item has no page-level source",
                    )
        for contact in self.contacts.values():
            path, _line = self.where[("contact", contact.id)]
            entry = self.lines[("contact", contact.id)]
            what = f"contact {contact.id!r}"
            for message in source_warnings(contact.sources, contact.last_checked, freshness):
                key = "last_checked" if message.startswith("last_checked") else "sources"
                self.warning(path, entry.line_of(key), f"{what}: {message}")
            if not page_sources(contact.sources):
                self.warning(
                    path,
                    entry.line_of("number"),
                    f"{what}: the number {contact.number!r} has no page-level source",
                )

    def unknown(self, kind: str, id_: str) -> bool:
        """True if `id_` is not defined and the file defining such ids parsed fine."""
        return (kind, id_) not in self.where and kind not in self.broken

    def check_audiences(
        self, path: Path, entry: LineDict, what: str, audiences: Iterable[str]
    ) -> None:
        for audience in audiences:
            if audience not in self.audiences and self.unknown("audience", audience):
                self.error(
                    path,
                    entry.line_of("audiences"),
                    f"{what}: audience {audience!r} is not in pack.yaml",
                )

    def check_cycles(self, path: Path) -> None:
        reported: set[frozenset[str]] = set()
        for start in self.topics:
            trail: list[str] = []
            current: str | None = start
            while current is not None and current in self.topics:
                if current in trail:
                    cycle = trail[trail.index(current) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        entry = self.lines[("topic", current)]
                        loop = " -> ".join([*cycle, current])
                        self.error(path, entry.line_of("parent"), f"topic tree has a cycle: {loop}")
                    break
                trail.append(current)
                current = self.topics[current].parent

    def check_default_texts(self) -> None:
        """Every item and label must exist in the default language: all chains end there."""
        code = self.default
        if code not in self.languages:
            return
        faq_file = f"text/{code}/faq.yaml"
        texts = self.texts.get(code, {})
        for item_id in self.items:
            if item_id not in texts:
                path, line = self.where[("item", item_id)]
                self.error(
                    path,
                    line,
                    f"item {item_id!r} has no text in the default language {code!r} ({faq_file})",
                )
        labels = self.labels.get(code, {})
        wanted: dict[str, Iterable[str]] = {
            "topics": self.topics,
            "audiences": self.audiences,
            "contacts": self.contacts,
            "categories": self.categories,
        }
        for section, ids in wanted.items():
            kind = _SECTION_KIND[section]
            for label_id in ids:
                if label_id not in labels.get(section, {}):
                    path, line = self.where[(kind, label_id)]
                    self.error(
                        path,
                        line,
                        f"{kind} {label_id!r} has no label in the default language {code!r}"
                        f" (text/{code}/labels.yaml, section {section})",
                    )


MAX_WELCOME_CHARS = 500  # shown above the language picker and the menu: a few lines at most
_RESERVED_TOPICS = {"emergency", "eligibility", "about"}
_SECTION_KIND = {
    "topics": "topic",
    "audiences": "audience",
    "contacts": "contact",
    "categories": "category",
}


def _kind_of_file(path: Path, root: Path) -> str:
    """Which kind of id a structure file defines (text files define none)."""
    if path.parent == root / "faq":
        return "item"
    return {
        "languages.yaml": "language",
        "pack.yaml": "audience",
        "topics.yaml": "topic",
        "contacts.yaml": "contact",
        "categories.yaml": "category",
    }.get(path.name if path.parent == root else "", "text")


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not any(c.isspace() for c in url.strip())
    )


def _kind(value: Any) -> str:
    if isinstance(value, LineDict):
        return "a mapping"
    if isinstance(value, LineList | list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
