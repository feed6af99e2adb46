"""What a typed message is: an intent (emergency, a person, greeting ...) or a question, and
how sure the FAQ search is about its answers. The one place handlers and the query-set test
ask, so what the benchmark measures is what people get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.content.intents import IntentDef, Intents
from bot.content.model import Pack
from bot.content.search import Hit, SearchIndex

MAX_QUERY = 300  # a pasted letter is cut; the first words carry the question
MAX_RESULTS = 5
# Answers shown under an intent's reply (emergency numbers, the offer of a caseworker).
INTENT_RESULTS = 3


class Knowledge(Protocol):
    """What understanding a message reads: the pack, its search index and its intents (the
    served bundle, bot.bundle.Knowledge, is one; this layer does not import it)."""

    @property
    def pack(self) -> Pack: ...

    @property
    def search(self) -> SearchIndex: ...

    @property
    def intents(self) -> Intents: ...


@dataclass(frozen=True)
class Reaction:
    """How to answer a message.

    `kind` is "intent" (see `intent`), "answers" (the first hit is confident), "unsure"
    (only weak matches: say so and offer a caseworker first) or "nothing".
    """

    kind: str
    hits: tuple[Hit, ...] = ()
    intent: IntentDef | None = None

    @property
    def reply(self) -> str:
        """The intent's reply ("emergency", "caseworker", ...), or the kind itself."""
        return self.intent.reply if self.intent is not None else self.kind


def search(bundle: Knowledge, text: str, lang: str, limit: int = MAX_RESULTS) -> list[Hit]:
    """FAQ hits for a question in the person's language and its fallbacks."""
    chain = bundle.pack.language_chain(lang)
    intents = bundle.intents
    return bundle.search.search(
        text[:MAX_QUERY],
        chain[0],
        chain[1:],
        limit=limit,
        ignore=intents.ignorable,
        expand=lambda words: intents.expand(words, chain),
    )


def understand(bundle: Knowledge, text: str, lang: str) -> Reaction:
    """The reaction to a typed message: intents first (emergencies before all), then search."""
    intent = bundle.intents.match(text)
    if intent is not None and intent.reply in ("help", "thanks", "greeting"):
        return Reaction("intent", (), intent)
    hits = search(bundle, text, lang)
    confident = tuple(h for h in hits if h.confidence >= bundle.intents.min_confidence)
    if intent is not None:
        return Reaction("intent", confident[:INTENT_RESULTS], intent)
    if confident:
        return Reaction("answers", tuple(hits))
    if hits:
        return Reaction("unsure", tuple(hits))
    return Reaction("nothing")
