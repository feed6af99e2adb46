"""Everything the operator edits in content/, loaded and validated as one unit.

The pack (topics, FAQ, contacts), the search index built from it, the eligibility flows,
routing rules and canned replies. A reload builds a new bundle and swaps it in whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.announcements.model import Announcements
from bot.cases.replies import Replies, load_replies
from bot.cases.routing import RoutingRules, load_routing
from bot.content.freshness import Freshness, page_sources, source_warnings, states_a_number
from bot.content.intents import Intents, collisions, load_intents
from bot.content.loader import inspect_pack
from bot.content.model import Pack
from bot.content.problems import PackError, Problem
from bot.content.search import SearchIndex
from bot.flows.model import Flow

Coverage = dict[str, dict[str, tuple[int, ...]]]


@dataclass(frozen=True)
class ContentBundle:
    pack: Pack
    search: SearchIndex
    flows: dict[str, Flow]
    routing: RoutingRules
    replies: Replies
    intents: Intents = field(default_factory=Intents)
    announcements: Announcements = field(default_factory=Announcements)

    @property
    def version(self) -> str:
        return self.pack.version

    def flow_titles(self, flow_ids: tuple[str, ...] | list[str], lang: str) -> dict[str, str]:
        """Titles of the given flows that exist, in the person's language (with fallback)."""
        chain = self.pack.language_chain(lang)
        return {
            fid: str(self.flows[fid].texts.title(chain)) for fid in flow_ids if fid in self.flows
        }


@dataclass(frozen=True)
class Extras:
    """The parts of the content beyond the pack, loaded by their own modules."""

    flows: dict[str, Flow]
    routing: RoutingRules
    replies: Replies
    intents: Intents
    announcements: Announcements = field(default_factory=Announcements)


def inspect_extras(
    pack: Pack, freshness: Freshness | None = None
) -> tuple[Extras, list[Problem], Coverage]:
    """Load the parts beyond the pack; return them with their problems and coverage columns."""
    root = pack.root
    languages = [lang.code for lang in pack.languages.values()]
    flows, flow_problems, flow_cov = load_flows_for(pack)
    routing, routing_problems = load_routing(root, set(pack.categories), set(pack.languages))
    replies, reply_problems, reply_cov = load_replies(root, languages, pack.default_language)
    intents, intent_problems, intent_cov = load_intents(
        root, languages, pack.default_language, pack.text_rules
    )
    answers = {
        lang: {
            i: " ".join((t.title, *t.keywords, *t.synonyms, t.answer)) for i, t in by_item.items()
        }
        for lang, by_item in pack.texts.items()
    }
    intent_problems += collisions(intents, answers, root)
    from bot.announcements.loader import load_announcements

    announcements, announce_problems, announce_cov = load_announcements(
        root, languages, pack.default_language, freshness
    )
    problems = [
        *flow_problems,
        *routing_problems,
        *reply_problems,
        *intent_problems,
        *announce_problems,
    ]
    for item in pack.items.values():
        for flow_id in item.flows:
            if flow_id not in flows:
                problems.append(
                    Problem(
                        f"content/faq ({item.id})",
                        0,
                        f"item {item.id} offers unknown flow {flow_id!r}",
                    )
                )
    coverage: Coverage = {}
    any_flow = next(iter(flows.values()), None)
    for lang in languages:
        done, total = flow_cov.get(lang, (0, 0))
        flow_draft = bool(any_flow and any_flow.texts.drafts.get(lang, False))
        coverage.setdefault(lang, {})["flows"] = (done, total, done if flow_draft else 0)
        rdone, rtotal = reply_cov.get(lang, (0, 0))
        reply_drafts = sum(
            1 for rid in replies.ids() if replies.is_draft(lang, rid) and replies.text(rid, [lang])
        )
        coverage[lang]["replies"] = (rdone, rtotal, min(rdone, reply_drafts))
        coverage[lang]["intents"] = intent_cov.get(lang, (0, 0, 0))
        coverage[lang]["announce"] = announce_cov.get(lang, {}).get("announce", (0, 0, 0))
    return Extras(flows, routing, replies, intents, announcements), problems, coverage


def flow_freshness(flows: dict[str, Flow], freshness: Freshness) -> list[Problem]:
    """`content check` warnings about flows: homepage sources, old dates, unsourced numbers."""
    problems: list[Problem] = []
    for flow in flows.values():
        what = f"flow {flow.id!r}"
        for message in source_warnings(flow.sources, flow.last_checked, freshness):
            problems.append(Problem(flow.file, flow.line, f"{what}: {message}", "warning"))
        if page_sources(flow.sources):
            continue
        for lang, texts in flow.texts.by_lang.items():
            values = [v if isinstance(v, str) else " ".join(v) for k, v in texts.items()]
            if any(states_a_number(v) for v in values):
                problems.append(
                    Problem(
                        flow.file,
                        flow.line,
                        f"{what}: {lang} texts state numbers but the flow has no page-level source",
                        "warning",
                    )
                )
    return problems


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
        pack=pack,
        search=SearchIndex.build(pack),
        flows=extras.flows,
        routing=extras.routing,
        replies=extras.replies,
        intents=extras.intents,
        announcements=extras.announcements,
    )


def check_extras(pack: Pack, freshness: Freshness | None = None) -> tuple[list[Problem], Coverage]:
    """For `content check`: problems and coverage of flows, routing, replies and UI strings.

    UI coverage is (translated, total, of them fuzzy): fuzzy catalog entries are drafts.
    """
    from bot.i18n_tools import ui_coverage

    extras, problems, coverage = inspect_extras(pack, freshness)
    if freshness is not None:
        problems.extend(flow_freshness(extras.flows, freshness))
    ui = ui_coverage()
    total = max((t for _done, t, *_ in ui.values()), default=0)
    for lang in coverage:
        if lang in ui:
            coverage[lang]["ui"] = ui[lang]
        elif lang == pack.default_language:
            coverage[lang]["ui"] = (
                total,
                total,
                0,
            )  # the source language is complete by definition
        else:
            coverage[lang]["ui"] = (0, total)
            problems.append(
                Problem(
                    f"locales/{lang}",
                    0,
                    f"no UI catalog for language {lang!r}: "
                    "`make i18n` creates it from the template",
                )
            )
    return problems, coverage
