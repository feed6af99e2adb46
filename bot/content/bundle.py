"""Everything the operator edits in content/, loaded and validated as one unit.

The pack (topics, FAQ, contacts), the search index built from it, the eligibility flows,
routing rules and canned replies. A reload builds a new bundle and swaps it in whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.cases.replies import Replies, load_replies
from bot.cases.routing import RoutingRules, load_routing
from bot.content.intents import Intents, collisions, load_intents
from bot.content.loader import inspect_pack
from bot.content.model import Pack
from bot.content.problems import PackError, Problem
from bot.content.search import SearchIndex
from bot.flows.model import Flow

Coverage = dict[str, dict[str, tuple[int, int]]]


@dataclass(frozen=True)
class ContentBundle:
    pack: Pack
    search: SearchIndex
    flows: dict[str, Flow]
    routing: RoutingRules
    replies: Replies
    intents: Intents = field(default_factory=Intents)

    @property
    def version(self) -> str:
        return self.pack.version

    def flow_titles(self, flow_ids: tuple[str, ...] | list[str], lang: str) -> dict[str, str]:
        """Titles of the given flows that exist, in the person's language (with fallback)."""
        chain = self.pack.language_chain(lang)
        return {fid: str(self.flows[fid].texts.title(chain)) for fid in flow_ids if fid in self.flows}


@dataclass(frozen=True)
class Extras:
    """The parts of the content beyond the pack, loaded by their own modules."""

    flows: dict[str, Flow]
    routing: RoutingRules
    replies: Replies
    intents: Intents


def inspect_extras(pack: Pack) -> tuple[Extras, list[Problem], Coverage]:
    """Load the parts beyond the pack; return them with their problems and coverage columns."""
    root = pack.root
    languages = [lang.code for lang in pack.languages.values()]
    flows, flow_problems, flow_cov = load_flows_for(pack)
    routing, routing_problems = load_routing(root, set(pack.categories), set(pack.languages))
    replies, reply_problems, reply_cov = load_replies(root, languages, pack.default_language)
    intents, intent_problems, intent_cov = load_intents(root, languages, pack.default_language)
    answers = {
        lang: {i: " ".join((t.title, *t.keywords, *t.synonyms, t.answer)) for i, t in by_item.items()}
        for lang, by_item in pack.texts.items()
    }
    intent_problems += collisions(intents, answers, root)
    problems = [*flow_problems, *routing_problems, *reply_problems, *intent_problems]
    for item in pack.items.values():
        for flow_id in item.flows:
            if flow_id not in flows:
                problems.append(
                    Problem(f"content/faq ({item.id})", 0, f"item {item.id} offers unknown flow {flow_id!r}")
                )
    coverage: Coverage = {}
    for lang in languages:
        coverage.setdefault(lang, {})["flows"] = flow_cov.get(lang, (0, 0))
        coverage[lang]["replies"] = reply_cov.get(lang, (0, 0))
        coverage[lang]["intents"] = intent_cov.get(lang, (0, 0))
    return Extras(flows, routing, replies, intents), problems, coverage


def load_flows_for(pack: Pack) -> tuple[dict[str, Flow], list[Problem], dict[str, tuple[int, int]]]:
    from bot.flows.loader import load_flows

    languages = [lang.code for lang in pack.languages.values()]
    return load_flows(pack.root, languages, pack.default_language, set(pack.items))


def load_bundle(root: Path) -> ContentBundle:
    """Load and validate everything; raise PackError listing every error with file and line."""
    pack, problems = inspect_pack(root)
    errors = [p for p in problems if p.severity == "error"]
    if pack is None or errors:
        raise PackError(errors or problems)
    extras, extra, _coverage = inspect_extras(pack)
    extra_errors = [p for p in extra if p.severity == "error"]
    if extra_errors:
        raise PackError(extra_errors)
    return ContentBundle(
        pack=pack, search=SearchIndex.build(pack), flows=extras.flows, routing=extras.routing,
        replies=extras.replies, intents=extras.intents,
    )


def check_extras(pack: Pack) -> tuple[list[Problem], Coverage]:
    """For `content check`: problems and coverage of flows, routing, replies and UI strings."""
    from bot.i18n_tools import ui_coverage

    _extras, problems, coverage = inspect_extras(pack)
    ui = ui_coverage()
    total = max((t for _done, t in ui.values()), default=0)
    for lang in coverage:
        if lang in ui:
            coverage[lang]["ui"] = ui[lang]
        elif lang == pack.default_language:
            coverage[lang]["ui"] = (total, total)  # the source language is complete by definition
        else:
            coverage[lang]["ui"] = (0, total)
            problems.append(Problem(f"locales/{lang}", 0, f"no UI catalog for language {lang!r}"))
    return problems, coverage
