"""Loading and checking announcements from the pack, with the pack's problem reporting.

content/subscriptions.yaml                 topics: [{id: documents, icon: "🪪"}, ...]
content/text/<lang>/subscriptions.yaml     draft: true / topics: {documents: Documents}
content/announcements/<id>.yaml            topics, sources, last_checked, expires, texts
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from bot.announcements.html import check_html, length_problem, utf16_len
from bot.announcements.model import ALL, Announcements, Prepared, SubscriptionTopic
from bot.content.freshness import Freshness, source_warnings
from bot.content.model import Source
from bot.content.problems import Problem, relative
from bot.content.yamlio import LineDict, YamlError, load_yaml

_ID = re.compile(r"^[a-z0-9_]+(?:[.-][a-z0-9_]+)*$")
# Room kept under a prepared text for its footer (the source line and checked date).
FOOTER_RESERVE = 80
Coverage = dict[str, dict[str, tuple[int, ...]]]


def _load(path: Path, root: Path, problems: list[Problem]) -> Any:
    try:
        return load_yaml(path)
    except YamlError as exc:
        problems.append(Problem(relative(path, root), exc.line, exc.message))
        return None


def _date(value: Any, file: str, line: int, what: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(file, line, f"{what} must be a date YYYY-MM-DD, got {value!r}"))
        return None


def _topics(root: Path, problems: list[Problem]) -> dict[str, SubscriptionTopic]:
    path = root / "subscriptions.yaml"
    file = relative(path, root)
    if not path.exists():
        problems.append(
            Problem(
                file,
                0,
                "no subscriptions.yaml: people can subscribe only to all announcements",
                "warning",
            )
        )
        return {}
    data = _load(path, root, problems)
    if data is None:
        return {}
    if not isinstance(data, LineDict) or not isinstance(data.get("topics"), list):
        problems.append(Problem(file, getattr(data, "line", 1), "expected `topics:` with a list"))
        return {}
    topics: dict[str, SubscriptionTopic] = {}
    for node in data["topics"]:
        if (
            not isinstance(node, LineDict)
            or not isinstance(node.get("id"), str)
            or not _ID.match(node["id"])
        ):
            problems.append(
                Problem(
                    file,
                    getattr(node, "line", data.line),
                    "each topic needs an id (lowercase ASCII)",
                )
            )
            continue
        if node["id"] in topics:
            problems.append(Problem(file, node.line, f"topic {node['id']!r} is listed twice"))
            continue
        topics[node["id"]] = SubscriptionTopic(node["id"], str(node.get("icon") or ""))
    return topics


def _labels(
    root: Path,
    languages: list[str],
    topics: dict[str, SubscriptionTopic],
    default: str,
    problems: list[Problem],
) -> tuple[dict[str, dict[str, str]], dict[str, bool]]:
    labels: dict[str, dict[str, str]] = {}
    drafts: dict[str, bool] = {}
    for lang in languages:
        path = root / "text" / lang / "subscriptions.yaml"
        if not path.exists():
            continue
        data = _load(path, root, problems)
        file = relative(path, root)
        if not isinstance(data, LineDict):
            continue
        drafts[lang] = bool(data.get("draft", False))
        names = data.get("topics") or {}
        if not isinstance(names, LineDict):
            problems.append(
                Problem(file, data.line_of("topics"), "`topics:` must map topic ids to names")
            )
            continue
        for topic_id, name in names.items():
            if topic_id not in topics:
                problems.append(
                    Problem(
                        file, names.line_of(topic_id), f"unknown subscription topic {topic_id!r}"
                    )
                )
            elif isinstance(name, str) and name.strip():
                labels.setdefault(lang, {})[topic_id] = name.strip()
    for topic_id in topics:
        if topic_id not in labels.get(default, {}):
            problems.append(
                Problem(
                    f"content/text/{default}/subscriptions.yaml",
                    0,
                    f"subscription topic {topic_id!r} has no name in {default}",
                )
            )
    return labels, drafts


def _prepared(
    path: Path,
    root: Path,
    topics: dict[str, SubscriptionTopic],
    languages: set[str],
    default: str,
    freshness: Freshness | None,
    problems: list[Problem],
) -> Prepared | None:
    file = relative(path, root)
    ann_id = path.stem
    if not _ID.match(ann_id):
        problems.append(
            Problem(file, 0, f"announcement id {ann_id!r} (the file name) must be lowercase ASCII")
        )
        return None
    data = _load(path, root, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(file, 1, "an announcement must be a mapping"))
        return None
    known = {"topics", "sources", "last_checked", "expires", "texts", "reviewed"}
    for key in data:
        if key not in known:
            problems.append(Problem(file, data.line_of(key), f"unknown key {key!r}", "warning"))
    before = len([p for p in problems if p.severity == "error"])
    wanted = data.get("topics")
    if not isinstance(wanted, list) or not wanted:
        problems.append(
            Problem(
                file, data.line_of("topics"), "`topics:` must list subscription topics (or '*')"
            )
        )
        wanted = []
    for topic in wanted:
        if topic != ALL and topic not in topics:
            problems.append(
                Problem(file, data.line_of("topics"), f"unknown subscription topic {topic!r}")
            )
    sources: list[Source] = []
    for node in data.get("sources") or []:
        if (
            isinstance(node, LineDict)
            and node.get("title")
            and str(node.get("url", "")).startswith(("http://", "https://"))
        ):
            sources.append(Source(str(node["title"]), str(node["url"])))
        else:
            problems.append(
                Problem(
                    file,
                    getattr(node, "line", data.line),
                    "each source needs a title and an http(s) url",
                )
            )
    if not sources:
        problems.append(
            Problem(file, data.line_of("sources"), "an announcement needs at least one source")
        )
    checked = _date(
        data.get("last_checked"), file, data.line_of("last_checked"), "last_checked", problems
    )
    expires = None
    if data.get("expires") is not None:
        expires = _date(data["expires"], file, data.line_of("expires"), "expires", problems)
    if freshness is not None:
        for message in source_warnings(sources, checked, freshness):
            problems.append(
                Problem(
                    file, data.line_of("sources"), f"announcement {ann_id!r}: {message}", "warning"
                )
            )
        if expires is not None and expires < freshness.today:
            problems.append(
                Problem(
                    file,
                    data.line_of("expires"),
                    f"announcement {ann_id!r} expired on {expires.isoformat()}: it cannot be sent",
                    "warning",
                )
            )
    texts: dict[str, str] = {}
    drafts: set[str] = set()
    raw = data.get("texts")
    if not isinstance(raw, LineDict):
        problems.append(
            Problem(file, data.line_of("texts"), "`texts:` must map languages to texts")
        )
        raw = LineDict()
    reserve = FOOTER_RESERVE + max((utf16_len(s.title) for s in sources), default=0)
    for lang, value in raw.items():
        line = raw.line_of(lang)
        if lang not in languages:
            problems.append(Problem(file, line, f"language {lang!r} is not in languages.yaml"))
            continue
        draft = False
        if isinstance(value, LineDict):
            draft = bool(value.get("draft", False))
            value = value.get("text")
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(file, line, f"{lang} text is empty"))
            continue
        checked_text = check_html(value.strip())
        if checked_text.problem:
            problems.append(Problem(file, line, f"{lang} text: {checked_text.problem}"))
            continue
        too_long = length_problem(checked_text.visible, reserve)
        if too_long:
            problems.append(Problem(file, line, f"{lang} text with its source line: {too_long}"))
            continue
        texts[lang] = value.strip()
        if draft:
            drafts.add(lang)
    if default not in texts and not any(
        p.file == file and p.message.startswith(f"{default} text") for p in problems
    ):
        problems.append(
            Problem(
                file,
                data.line_of("texts"),
                f"an announcement needs a text in {default} (the default language)",
            )
        )
    if len([p for p in problems if p.severity == "error"]) > before or checked is None:
        return None
    return Prepared(
        id=ann_id,
        topics=tuple(str(t) for t in wanted),
        sources=tuple(sources),
        last_checked=checked,
        expires=expires,
        texts=texts,
        drafts=frozenset(drafts),
        reviewed=bool(data.get("reviewed", False)),
        file=file,
    )


def load_announcements(
    root: Path, languages: list[str], default: str, freshness: Freshness | None = None
) -> tuple[Announcements, list[Problem], Coverage]:
    """Topics, their names and prepared announcements; problems; coverage per language
    (topic names and announcement texts each language has itself)."""
    problems: list[Problem] = []
    topics = _topics(root, problems)
    labels, label_drafts = _labels(root, languages, topics, default, problems)
    prepared: dict[str, Prepared] = {}
    folder = root / "announcements"
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            found = _prepared(path, root, topics, set(languages), default, freshness, problems)
            if found is not None:
                prepared[found.id] = found
    coverage: Coverage = {}
    total = len(topics) + len(prepared)
    for lang in languages:
        named = len(labels.get(lang, {}))
        texts = sum(1 for p in prepared.values() if lang in p.texts)
        draft = (named if label_drafts.get(lang) else 0) + sum(
            1 for p in prepared.values() if lang in p.drafts
        )
        coverage[lang] = {"announce": (named + texts, total, draft)}
    return Announcements(topics, labels, prepared), problems, coverage
