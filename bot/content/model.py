"""The content pack in memory: frozen, language-neutral structure plus per-language texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from bot.content.textrules import TextRules

Direction = Literal["ltr", "rtl"]

# Sections of text/<lang>/labels.yaml, each naming ids of one kind.
LABEL_SECTIONS: tuple[str, ...] = ("topics", "audiences", "contacts", "categories")


@dataclass(frozen=True)
class Language:
    """A language the pack carries texts in."""

    code: str
    name: str
    direction: Direction = "ltr"
    fallback: tuple[str, ...] = ()
    enabled: bool = True
    aliases: tuple[str, ...] = ()  # Telegram language codes shown this language instead


@dataclass(frozen=True)
class Languages:
    """The languages of a pack and its default: fallback chains and Telegram code lookup.

    The one place both are worked out (the pack, `flows show` and the UI catalogs use it).
    Which language stands in for a code the pack lacks (Uzbek -> Russian, Dari -> Persian,
    an old code such as "iw" for Hebrew) is the pack's choice: `aliases` in languages.yaml.
    """

    by_code: dict[str, Language]
    default: str
    _chains: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for code, lang in self.by_code.items():
            if lang.enabled:
                lookup[code.lower()] = code
                lookup.setdefault(code.lower().split("-")[0], code)
        for code, lang in self.by_code.items():
            if lang.enabled:
                for alias in lang.aliases:
                    lookup.setdefault(alias.lower(), code)
        chains = {code: self._build_chain(code) for code in self.by_code}
        object.__setattr__(self, "_chains", chains)
        object.__setattr__(self, "_lookup", lookup)

    def _build_chain(self, code: str) -> tuple[str, ...]:
        chain: list[str] = []
        lang = self.by_code.get(code)
        candidates: Iterable[str] = (code, *(lang.fallback if lang else ()), self.default)
        for candidate in candidates:
            if candidate in self.by_code and candidate not in chain:
                chain.append(candidate)
        return tuple(chain)

    def chain(self, code: str) -> tuple[str, ...]:
        """`code`, its fallbacks, then the default language: declared ones, without repeats."""
        found = self._chains.get(code)
        return found if found is not None else self._build_chain(code)

    def enabled(self) -> list[Language]:
        """Languages offered in the picker, in languages.yaml order."""
        return [lang for lang in self.by_code.values() if lang.enabled]

    def resolve(self, code: str | None) -> str:
        """Map a Telegram language_code ("ru-RU", "fa-AF", "uz") to an enabled language.

        The whole code first, then its primary subtag, each also through the aliases;
        the default language only when nothing fits.
        """
        if not code:
            return self.default
        wanted = code.strip().lower().replace("_", "-")
        if wanted in self._lookup:
            return self._lookup[wanted]
        return self._lookup.get(wanted.split("-")[0], self.default)


@dataclass(frozen=True)
class Source:
    """Where a fact comes from; printed under every answer."""

    title: str
    url: str


@dataclass(frozen=True)
class Topic:
    """A node of the menu tree; `order` is its position in topics.yaml."""

    id: str
    parent: str | None
    icon: str = ""
    audiences: tuple[str, ...] = ()
    order: int = 0


@dataclass(frozen=True)
class FaqItem:
    """The language-neutral facts of one FAQ answer."""

    id: str
    topic: str
    audiences: tuple[str, ...]
    importance: int | None
    sources: tuple[Source, ...]
    last_checked: date
    reviewed: bool = True
    related: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemText:
    """One FAQ item's text in one language; `pages` is the answer split on `---` lines."""

    title: str
    answer: str
    pages: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    draft: bool = False


@dataclass(frozen=True)
class Contact:
    """A phone number people can call; its description is a label."""

    id: str
    number: str
    emergency: bool
    sources: tuple[Source, ...]
    last_checked: date
    reviewed: bool = True


@dataclass(frozen=True)
class Category:
    """A support-request category; its name is a label."""

    id: str
    icon: str = ""


def _for_audience(audiences: tuple[str, ...], audience: str | None) -> bool:
    # No audiences means "for everyone", so it belongs with the person's own topics.
    return audience is None or not audiences or audience in audiences


@dataclass(frozen=True)
class Pack:
    """A loaded, validated content pack; all lookups are dict reads built once here."""

    id: str
    languages: dict[str, Language]
    default_language: str
    audiences: tuple[str, ...]
    call_centre: str
    topics: dict[str, Topic]
    items: dict[str, FaqItem]
    contacts: dict[str, Contact]
    categories: dict[str, Category]
    texts: dict[str, dict[str, ItemText]]
    labels: dict[str, dict[str, dict[str, str]]]
    text_drafts: dict[str, bool]
    version: str
    root: Path
    # Short names of sources per language, keyed by a URL or a host (text/<lang>/sources.yaml).
    source_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per language: whether its labels.yaml is marked draft (for the coverage counts).
    label_drafts: dict[str, bool] = field(default_factory=dict)
    # Per language: what /start and a greeting say (labels.yaml `welcome`: the operator's words).
    welcome: dict[str, str] = field(default_factory=dict)
    # How the pack's languages are written (text/<lang>/language.yaml): search and matching.
    text_rules: TextRules = field(default_factory=TextRules, compare=False)
    _langs: Languages = field(init=False, repr=False, compare=False)
    _children: dict[str | None, tuple[Topic, ...]] = field(init=False, repr=False, compare=False)
    _item_pos: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_topic: dict[str, tuple[FaqItem, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        children: dict[str | None, list[Topic]] = {}
        for topic in sorted(self.topics.values(), key=lambda t: t.order):
            children.setdefault(topic.parent, []).append(topic)
        by_topic: dict[str, list[FaqItem]] = {}
        for item in self.items.values():
            by_topic.setdefault(item.topic, []).append(item)
        object.__setattr__(self, "_langs", Languages(self.languages, self.default_language))
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_item_pos", {item_id: i for i, item_id in enumerate(self.items)})
        object.__setattr__(self, "_by_topic", {k: tuple(v) for k, v in by_topic.items()})

    @property
    def language_set(self) -> Languages:
        """The pack's languages with their chains and Telegram code lookup."""
        return self._langs

    def language_chain(self, lang: str) -> list[str]:
        """`lang`, its fallbacks, then the default language, without repeats."""
        return list(self._langs.chain(lang))

    def enabled_languages(self) -> list[Language]:
        """Languages offered in the picker, in languages.yaml order."""
        return self._langs.enabled()

    def resolve_language(self, code: str | None) -> str:
        """Map a Telegram language_code ("ru-RU", "fa-AF", "uz") to an enabled pack language."""
        return self._langs.resolve(code)

    def text(self, item_id: str, lang: str) -> tuple[ItemText, str]:
        """The item's text in `lang` or the first fallback that has it, and that language."""
        for candidate in self._langs.chain(lang):
            found = self.texts.get(candidate, {}).get(item_id)
            if found is not None:
                return found, candidate
        raise KeyError(f"no text for item {item_id!r}")

    def has_text(self, item_id: str, lang: str) -> bool:
        """Whether `lang` itself (without fallback) has a text for the item."""
        return item_id in self.texts.get(lang, {})

    def welcome_text(self, lang: str) -> str | None:
        """The operator's welcome in `lang` (with fallback), or None if the pack has none."""
        for candidate in self._langs.chain(lang):
            if candidate in self.welcome:
                return self.welcome[candidate]
        return None

    def label(self, section: str, id_: str, lang: str) -> str:
        """A topic/audience/contact/category name in `lang` with fallback; the id if none."""
        for candidate in self._langs.chain(lang):
            found = self.labels.get(candidate, {}).get(section, {}).get(id_)
            if found is not None:
                return found
        return id_

    def source_name(self, source: Source, lang: str) -> str:
        """A source's short name in `lang` (or a fallback) by its URL, host or parent domain;
        its title from the structure file if no language names it."""
        parts = urlsplit(source.url)
        host = (parts.hostname or "").removeprefix("www.")
        labels = host.split(".")
        keys = [
            source.url.rstrip("/"),
            *(".".join(labels[i:]) for i in range(max(1, len(labels) - 1))),
        ]
        for candidate in self._langs.chain(lang):
            names = self.source_names.get(candidate, {})
            for key in keys:
                if key in names:
                    return names[key]
        return source.title

    def children(self, topic_id: str | None) -> list[Topic]:
        """Sub-topics of a topic (or the top level for None), in file order."""
        return list(self._children.get(topic_id, ()))

    def topics_for(self, audience: str | None, parent: str | None = None) -> list[Topic]:
        """Children of `parent` for this audience first (incl. general ones), then the rest."""
        topics = self._children.get(parent, ())
        return sorted(topics, key=lambda t: (not _for_audience(t.audiences, audience), t.order))

    def items_in(self, topic_id: str, audience: str | None = None) -> list[FaqItem]:
        """Items of a topic: the audience's first, each group by importance then file order."""
        items = self._by_topic.get(topic_id, ())
        return sorted(
            items,
            key=lambda it: (
                not _for_audience(it.audiences, audience),
                it.importance if it.importance is not None else 1_000_000,
                self._item_pos[it.id],
            ),
        )

    def emergency_contacts(self) -> list[Contact]:
        """Contacts behind the Emergency button, in file order."""
        return [c for c in self.contacts.values() if c.emergency]

    def topic_path(self, topic_id: str) -> list[Topic]:
        """The topic and its ancestors, root first (for breadcrumbs and "back")."""
        path: list[Topic] = []
        current = self.topics.get(topic_id)
        while current is not None and current not in path:
            path.append(current)
            current = self.topics.get(current.parent) if current.parent else None
        return path[::-1]
