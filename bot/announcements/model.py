"""What the pack says about announcements: the topics people can subscribe to (with their
names per language) and prepared announcements (texts per language, topics, sources, expiry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.content.model import Source

ALL = "*"  # subscribed to every topic; an announcement for every subscriber


@dataclass(frozen=True)
class SubscriptionTopic:
    id: str
    icon: str = ""


@dataclass(frozen=True)
class Prepared:
    """A prepared announcement (content/announcements/<id>.yaml)."""

    id: str
    topics: tuple[str, ...]
    sources: tuple[Source, ...]
    last_checked: date
    expires: date | None
    texts: dict[str, str]  # language -> Telegram HTML
    drafts: frozenset[str] = frozenset()
    reviewed: bool = False
    file: str = ""

    def text_for(self, chain: Sequence[str]) -> tuple[str, str]:
        """(language, text) from the first language of the chain the announcement has."""
        for lang in chain:
            if lang in self.texts:
                return lang, self.texts[lang]
        lang = next(iter(self.texts))
        return lang, self.texts[lang]

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class Announcements:
    topics: dict[str, SubscriptionTopic] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> topic -> name
    prepared: dict[str, Prepared] = field(default_factory=dict)

    def label(self, topic_id: str, chain: Sequence[str]) -> str:
        for lang in chain:
            name = self.labels.get(lang, {}).get(topic_id)
            if name:
                return name
        return topic_id

    def known(self, topics: Sequence[str]) -> list[str]:
        """The topics that exist, in the pack's order ('*' alone if it is among them)."""
        if ALL in topics:
            return [ALL]
        return [t for t in self.topics if t in topics]


def eta_seconds(recipients: int, per_second: float) -> float:
    """How long sending takes at the bulk cap."""
    return recipients / per_second if per_second > 0 else 0.0


def duration_text(seconds: float) -> str:
    """ "45 s", "12 min", "1 h 5 min" (numbers and units read the same in the staff's languages)."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
