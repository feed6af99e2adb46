"""The realistic query set (tests/fixtures/queries.yaml) run through the bot's understanding.

`evaluate` scores reactions however they were obtained (the router directly, or the bot's
messages through the emulator in tests/e2e/test_conversation.py), so both report the same
figures: top-1 and top-3 for FAQ questions, and the share of right reactions per kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bench.common import ROOT

if TYPE_CHECKING:
    from bot.bundle import ContentBundle

QUERY_FILE = ROOT / "tests" / "fixtures" / "queries.yaml"
LANGUAGES = ("en", "ru", "az", "fa", "tr")
KINDS = ("faq", "greeting", "thanks", "help", "person", "emergency", "out_of_scope")
# What the bot must do for each kind that is not an FAQ question (Reaction.reply values).
EXPECTED_REPLY = {
    "greeting": {"greeting"},
    "thanks": {"thanks"},
    "help": {"help"},
    "person": {"caseworker"},
    "emergency": {"emergency"},
    "out_of_scope": {"unsure", "nothing"},
}
TARGET_TOP3 = 0.95
TARGET_REACTION = 0.90
TARGET_KINDS = ("greeting", "person", "emergency", "out_of_scope")


@dataclass(frozen=True)
class Query:
    q: str
    lang: str
    kind: str
    expect: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the bot did: its reply kind and the FAQ items it offered, in order."""

    reply: str
    items: tuple[str, ...] = ()


@dataclass
class Scores:
    """Counts per (language, kind); rates are computed from them."""

    total: Counter[tuple[str, str]] = field(default_factory=Counter)
    top1: Counter[str] = field(default_factory=Counter)
    top3: Counter[str] = field(default_factory=Counter)
    confident: Counter[str] = field(default_factory=Counter)
    right: Counter[tuple[str, str]] = field(default_factory=Counter)
    wrong_first: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[Query, Outcome]] = field(default_factory=list)

    def rate(self, kind: str, lang: str | None = None) -> float:
        """Right reactions of a kind (top-3 for faq), in one language or all."""
        langs = [lang] if lang else list(LANGUAGES)
        n = sum(self.total[(la, kind)] for la in langs)
        if kind == "faq":
            ok = sum(self.top3[la] for la in langs)
        else:
            ok = sum(self.right[(la, kind)] for la in langs)
        return ok / n if n else float("nan")

    def faq_rate(self, counter: Counter[str], lang: str | None = None) -> float:
        langs = [lang] if lang else list(LANGUAGES)
        n = sum(self.total[(la, "faq")] for la in langs)
        return sum(counter[la] for la in langs) / n if n else float("nan")

    def count(self, kind: str | None = None, lang: str | None = None) -> int:
        return sum(
            v for (la, k), v in self.total.items() if (kind in (None, k)) and (lang in (None, la))
        )

    def misses(self) -> list[str]:
        """Targets missed, in words (empty when all are met)."""
        out = []
        if self.rate("faq") < TARGET_TOP3:
            out.append(f"faq top-3 {self.rate('faq'):.1%} < {TARGET_TOP3:.0%}")
        for kind in TARGET_KINDS:
            if self.rate(kind) < TARGET_REACTION:
                out.append(f"{kind} {self.rate(kind):.1%} < {TARGET_REACTION:.0%}")
        return out


def load_queries(path: Path = QUERY_FILE) -> list[Query]:
    """The query set, checked: known languages and kinds, expected items for FAQ questions."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = []
    for n, entry in enumerate(data["queries"], 1):
        query = Query(
            q=str(entry["q"]),
            lang=str(entry["lang"]),
            kind=str(entry["kind"]),
            expect=tuple(entry.get("expect") or ()),
            note=str(entry.get("note") or ""),
        )
        if query.lang not in LANGUAGES or query.kind not in KINDS:
            raise ValueError(f"query {n}: unknown language or kind: {entry}")
        if (query.kind == "faq") != bool(query.expect):
            raise ValueError(f"query {n}: faq queries need `expect`, others none: {entry}")
        queries.append(query)
    return queries


def score(pairs: Iterable[tuple[Query, Outcome]]) -> Scores:
    """Count top-1/top-3 for FAQ questions and right reactions for the other kinds."""
    s = Scores()
    for query, outcome in pairs:
        s.total[(query.lang, query.kind)] += 1
        if query.kind == "faq":
            first = outcome.items[:1]
            found1 = bool(first) and first[0] in query.expect
            found3 = any(i in query.expect for i in outcome.items[:3])
            s.top1[query.lang] += found1
            s.top3[query.lang] += found3
            s.confident[query.lang] += outcome.reply == "answers" and found1
            if first and not found1:
                s.wrong_first[first[0]] += 1
            if not found3:
                s.failures.append((query, outcome))
        else:
            ok = outcome.reply in EXPECTED_REPLY[query.kind]
            s.right[(query.lang, query.kind)] += ok
            if not ok:
                s.failures.append((query, outcome))
    return s


def through_router(
    queries: list[Query], content_dir: Path = ROOT / "content", bundle: ContentBundle | None = None
) -> Scores:
    """Every query through `understand`, the function the bot's text handler calls (on
    `bundle` if given, already loaded from content_dir: the tests share one)."""
    from bot.bundle import load_bundle
    from bot.content.understand import understand

    if bundle is None:
        bundle = load_bundle(content_dir)

    def run(query: Query) -> Outcome:
        reaction = understand(bundle, query.q, query.lang)
        return Outcome(reaction.reply, tuple(h.item_id for h in reaction.hits))

    return score((q, run(q)) for q in queries)


def table(s: Scores, row: Callable[..., object]) -> None:
    """Feed `row(metric, value, target, ok)` one line per figure, per language then overall."""
    for lang in (*LANGUAGES, None):
        name = lang or "all"
        n = s.count("faq", lang)
        row(f"{name}: faq top-1 ({n})", f"{s.faq_rate(s.top1, lang):.0%}", "", None)
        row(
            f"{name}: faq top-3 ({n})",
            f"{s.faq_rate(s.top3, lang):.0%}",
            f"≥ {TARGET_TOP3:.0%}" if lang is None else "",
            s.rate("faq") >= TARGET_TOP3 if lang is None else None,
        )
        row(f"{name}: faq answered confidently", f"{s.faq_rate(s.confident, lang):.0%}", "", None)
        for kind in KINDS[1:]:
            k = s.count(kind, lang)
            if not k:
                continue
            target = kind in TARGET_KINDS and lang is None
            row(
                f"{name}: {kind} ({k})",
                f"{s.rate(kind, lang):.0%}",
                f"≥ {TARGET_REACTION:.0%}" if target else "",
                s.rate(kind) >= TARGET_REACTION if target else None,
            )


def main() -> int:
    """`python -m bench.queryset`: the figures as a plain table, and every miss."""
    s = through_router(load_queries())

    def row(metric: str, value: str, target: str, ok: bool | None) -> None:
        verdict = "" if ok is None else ("met" if ok else "MISSED")
        print(f"{metric:<36} {value:>5}  {target:<6} {verdict}")

    table(s, row)
    common = ", ".join(f"{i} ({n})" for i, n in s.wrong_first.most_common(3))
    print(f"\nwrongly first most often: {common or 'none'}")
    for query, outcome in s.failures:
        print(
            f"miss [{query.lang} {query.kind}] {query.q!r} -> {outcome.reply} "
            f"{list(outcome.items[:3])}"
        )
    return 1 if s.misses() else 0


if __name__ == "__main__":
    raise SystemExit(main())
