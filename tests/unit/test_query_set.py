"""The realistic query set through the function the text handler calls: the issue's targets."""

from __future__ import annotations

from collections import Counter

import pytest

from bench import queryset
from bot.bundle.service import LoadedContent


@pytest.fixture(scope="module")
def scores(real_content: LoadedContent) -> queryset.Scores:
    """The query set through the router once for the tests below (the run's shared pack)."""
    return queryset.through_router(queryset.load_queries(), bundle=real_content.bundle)


def test_the_query_set_is_realistic_in_size_and_spread() -> None:
    queries = queryset.load_queries()
    assert len(queries) >= 150
    per_language = Counter(q.lang for q in queries)
    assert set(per_language) == set(queryset.LANGUAGES)
    assert min(per_language.values()) >= 25
    kinds = Counter(q.kind for q in queries)
    assert set(kinds) == set(queryset.KINDS)
    notes = " ".join(q.note for q in queries)
    for hard in ("typo", "no diacritics", "translit", "layout", "mixed", "dari"):
        assert hard in notes


def test_targets_of_issue_12_are_met(scores: queryset.Scores) -> None:
    misses = [
        f"[{q.lang} {q.kind}] {q.q!r} -> {o.reply} {list(o.items[:3])}" for q, o in scores.failures
    ]
    assert scores.misses() == [], "\n".join(misses)
    for lang in queryset.LANGUAGES:
        assert scores.rate("faq", lang) >= 0.9, (lang, misses)


def test_no_item_wins_unrelated_questions(scores: queryset.Scores) -> None:
    faq = scores.count("faq")
    worst = scores.wrong_first.most_common(1)
    assert not worst or worst[0][1] <= max(3, faq // 40), worst
