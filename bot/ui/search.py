"""Search results as a screen: the top matches as buttons, and a way to a person."""

from __future__ import annotations

from bot.content.model import Pack
from bot.content.search import Hit
from bot.i18n import Tr
from bot.ui.screen import Button, Screen


def results(pack: Pack, hits: list[Hit], tr: Tr) -> Screen:
    """Matches as buttons, "none of these" offering a caseworker, and the main menu."""
    if not hits:
        text = tr._(
            "I could not find an answer to that. Try other words, choose a topic from the menu, "
            "or ask a caseworker."
        )
        rows = (
            (Button("💬 " + tr._("Ask a caseworker"), "r:new"),),
            (Button("🏠 " + tr._("Main menu"), "m:"),),
        )
        return Screen(text, rows)
    buttons = []
    for hit in hits:
        if hit.item_id in pack.items:
            item_text, _lang = pack.text(hit.item_id, tr.lang)
            buttons.append((Button(item_text.title, f"f:{hit.item_id}"),))
    buttons.append((Button("🙋 " + tr._("None of these: ask a caseworker"), "r:new"),))
    buttons.append((Button("🏠 " + tr._("Main menu"), "m:"),))
    return Screen(tr._("Here is what I found:"), tuple(buttons))
