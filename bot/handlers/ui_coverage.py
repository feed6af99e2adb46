"""What `content check` adds beyond the pack: flows, routing, replies and UI-string coverage."""

from __future__ import annotations

from bot.content.bundle import inspect_extras
from bot.content.model import Pack
from bot.content.problems import Problem


def content_extras(pack: Pack) -> tuple[list[Problem], dict[str, dict[str, tuple[int, int]]]]:
    """Problems and coverage columns for flows, replies and the UI catalogs."""
    from bot.i18n_tools import ui_coverage

    _flows, _routing, _replies, problems, coverage = inspect_extras(pack)
    ui = ui_coverage()
    for lang in coverage:
        if lang in ui:
            coverage[lang]["ui"] = ui[lang]
        elif lang == pack.default_language:
            total = max((t for _d, t in ui.values()), default=0)
            coverage[lang]["ui"] = (total, total)  # the source language is complete by definition
        else:
            coverage[lang]["ui"] = (0, max((t for _d, t in ui.values()), default=0))
            problems.append(Problem(f"locales/{lang}", 0, f"no UI catalog for language {lang!r}", "error"))
    return problems, coverage
