"""Benchmark 3: SearchIndex.search over the starter pack scaled to 10,000 items, five languages.

Baseline: a naive scan of the same texts for each query word as a substring (lower-cased,
no normalisation), the way a first version of FAQ search is often written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.common import ROOT, percentile
from bench.queries import QUERIES
from bot.content.model import Pack
from bot.content.search import SearchIndex, scaled_pack


class NaiveSearch:
    """Substring scan: every item's title+keywords+answer, every query word, every query."""

    def __init__(self, pack: Pack) -> None:
        self.docs: dict[str, list[tuple[str, str]]] = {}
        for lang, texts in pack.texts.items():
            self.docs[lang] = [
                (item_id, " ".join((t.title, *t.keywords, *t.synonyms, t.answer)).lower())
                for item_id, t in texts.items()
            ]

    def search(self, query: str, chain: list[str], limit: int = 5) -> list[str]:
        words = [w for w in query.lower().split() if len(w) >= 2]
        if not words:
            return []
        scored: dict[str, int] = {}
        for lang in chain:
            for item_id, text in self.docs.get(lang, ()):
                score = sum(1 for w in words if w in text)
                if score and score > scored.get(item_id, 0):
                    scored[item_id] = score
        return sorted(scored, key=lambda i: -scored[i])[:limit]


@dataclass
class SearchResult:
    items: int
    languages: int
    queries: int
    samples: int
    build_seconds: float
    index_times: list[float]
    naive_times: list[float]
    index_found: int  # queries with at least one hit
    naive_found: int
    slowest: list[tuple[float, str, str]]  # (p99-ish seconds, lang, query)


def run(items: int, repeats: int) -> SearchResult:
    """Build the scaled index once, then time every query `repeats` times in each engine."""
    from bot.bundle import load_bundle

    pack = scaled_pack(load_bundle(ROOT / "content").pack, items)
    t0 = time.perf_counter()
    index = SearchIndex.build(pack)
    build = time.perf_counter() - t0
    naive = NaiveSearch(pack)
    index_times: list[float] = []
    naive_times: list[float] = []
    per_query: list[tuple[float, str, str]] = []
    index_found = naive_found = 0
    for lang, queries in QUERIES.items():
        chain = pack.language_chain(lang)
        for query in queries:
            # The first call warms SQLite's page cache and the typo lookups' memo-free path
            # alike for every query; it is timed like the rest (no separate warm-up).
            own: list[float] = []
            for _ in range(repeats):
                t = time.perf_counter()
                hits = index.search(query, chain[0], chain[1:], limit=5)
                own.append(time.perf_counter() - t)
            index_times.extend(own)
            per_query.append((max(own), lang, query))
            index_found += bool(hits)
            # The naive scan is slow and deterministic: a few repeats are enough.
            for _ in range(max(1, repeats // 10)):
                t = time.perf_counter()
                found = naive.search(query, chain)
                naive_times.append(time.perf_counter() - t)
            naive_found += bool(found)
    index.close()
    per_query.sort(reverse=True)
    return SearchResult(
        items=len(pack.items),
        languages=len([lang for lang, texts in pack.texts.items() if texts]),
        queries=sum(len(q) for q in QUERIES.values()),
        samples=len(index_times),
        build_seconds=build,
        index_times=index_times,
        naive_times=naive_times,
        index_found=index_found,
        naive_found=naive_found,
        slowest=per_query[:3],
    )


def p(values: list[float], q: float) -> float:
    return percentile(values, q)
