"""What the bot answers to typed text: the matches as buttons, an honest "not sure", or the
reply to an intent (emergency numbers, the offer of a caseworker, a greeting, help)."""

from __future__ import annotations

from bot.content.model import Pack
from bot.content.search import Hit
from bot.content.understand import Reaction
from bot.i18n import Tr
from bot.ui import menus
from bot.ui.screen import Button, Screen, esc


def _hit_buttons(pack: Pack, hits: tuple[Hit, ...] | list[Hit], tr: Tr) -> list[tuple[Button, ...]]:
    buttons: list[tuple[Button, ...]] = []
    for hit in hits:
        if hit.item_id in pack.items:
            item_text, _lang = pack.text(hit.item_id, tr.lang)
            buttons.append((Button(item_text.title, f"f:{hit.item_id}"),))
    return buttons


def _caseworker(tr: Tr) -> tuple[Button, ...]:
    return (Button("💬 " + tr._("Ask a caseworker"), "r:new"),)


def _main(tr: Tr) -> tuple[Button, ...]:
    return (Button("🏠 " + tr._("Main menu"), "m:"),)


def results(pack: Pack, hits: list[Hit], tr: Tr) -> Screen:
    """Matches as buttons, "none of these" offering a caseworker, and the main menu."""
    if not hits:
        text = tr._(
            "I could not find an answer to that. Try other words, choose a topic from the menu, "
            "or ask a caseworker."
        )
        return Screen(text, (_caseworker(tr), _main(tr)))
    buttons = _hit_buttons(pack, hits, tr)
    buttons.append((Button("🙋 " + tr._("None of these: ask a caseworker"), "r:new"),))
    buttons.append(_main(tr))
    return Screen(tr._("Here is what I found:"), tuple(buttons))


def unsure(pack: Pack, hits: tuple[Hit, ...], tr: Tr) -> Screen:
    """Only weak matches: say so, offer a caseworker first, then the closest answers."""
    text = tr._(
        "I am not sure I have an answer to that. A caseworker can help you: press the first "
        "button. These answers may be related:"
    )
    return Screen(text, (_caseworker(tr), *_hit_buttons(pack, hits, tr), _main(tr)))


def emergency(pack: Pack, hits: tuple[Hit, ...], tr: Tr) -> Screen:
    """Danger in words: the emergency numbers first, then a caseworker and related answers."""
    lines = [
        "🆘 <b>" + esc(tr._("If you are in danger, call now:")) + "</b>",
        "",
        *menus.emergency_lines(pack, tr),
        "",
        esc(tr._("When you are safe, a caseworker can help you further: press the button below.")),
    ]
    rows = (_caseworker(tr), *_hit_buttons(pack, hits, tr), (Button("☎️ " + tr._("All help lines"), "e:"),), _main(tr))
    return Screen("\n".join(lines), rows)


def caseworker(pack: Pack, hits: tuple[Hit, ...], tr: Tr) -> Screen:
    """A request for a person: the offer of a caseworker first, then related answers."""
    text = tr._(
        "A caseworker, a real person, can answer you here in this chat. Press the button to "
        "write to them; it takes a minute."
    )
    if hits:
        text += "\n\n" + tr._("Or read one of these answers first:")
    rows = ((Button("💬 " + tr._("Write to a caseworker"), "r:new"),), *_hit_buttons(pack, hits, tr), _main(tr))
    return Screen(text, rows)


def help_screen(pack: Pack, audience: str | None, tr: Tr) -> Screen:
    """What the bot can do and its commands, with the main menu's buttons."""
    text = "\n".join(
        [
            esc(tr._("Type your question in your own words, or use the menu.")),
            "",
            "/start — " + esc(tr._("main menu")),
            "/language — " + esc(tr._("change language")),
            "/requests — " + esc(tr._("your requests to caseworkers")),
            "/emergency — " + esc(tr._("emergency numbers")),
            "/subscribe — " + esc(tr._("announcements about rule changes and events")),
            "/privacy — " + esc(tr._("what we store and why")),
            "/mydata — " + esc(tr._("see what is stored about you")),
            "/delete — " + esc(tr._("delete your data")),
            "/cancel — " + esc(tr._("stop what you are doing")),
        ]
    )
    return Screen(text, menus.main_menu(pack, audience, tr).rows)


def react(pack: Pack, reaction: Reaction, audience: str | None, tr: Tr) -> Screen:
    """The screen for a reaction of `understand`."""
    reply = reaction.reply
    if reply == "emergency":
        return emergency(pack, reaction.hits, tr)
    if reply == "caseworker":
        return caseworker(pack, reaction.hits, tr)
    if reply == "help":
        return help_screen(pack, audience, tr)
    if reply == "thanks":
        return menus.main_menu(pack, audience, tr, notice=tr._(
            "Glad I could help. Write another question at any time, or choose a topic."))
    if reply == "greeting":
        return menus.main_menu(pack, audience, tr, notice=tr._(
            "Hello! I answer questions about rights, documents, services and eligibility "
            "for people returning to or living in Azerbaijan, and I can pass your question "
            "to a caseworker."))
    if reply == "unsure":
        return unsure(pack, reaction.hits, tr)
    return results(pack, list(reaction.hits), tr)
