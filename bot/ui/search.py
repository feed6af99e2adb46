"""What the bot answers to typed text: the matches as buttons, an honest "not sure", or the
reply to an intent (emergency numbers, the offer of a caseworker, a greeting, help)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import callbacks as cb
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
            buttons.append((Button(item_text.title, cb.Item(hit.item_id).pack()),))
    return buttons


def _caseworker(tr: Tr) -> tuple[Button, ...]:
    return (Button("💬 " + tr._("Ask a caseworker"), cb.Requests("new").pack()),)


def _main(tr: Tr) -> tuple[Button, ...]:
    return (Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),)


def results(pack: Pack, hits: list[Hit], tr: Tr) -> Screen:
    """Matches as buttons, "none of these" offering a caseworker, and the main menu."""
    if not hits:
        text = tr._(
            "I could not find an answer to that. Try other words, choose a topic from the menu, "
            "or ask a caseworker."
        )
        return Screen(text, (_caseworker(tr), _main(tr)))
    buttons = _hit_buttons(pack, hits, tr)
    buttons.append(
        (Button("🙋 " + tr._("None of these: ask a caseworker"), cb.Requests("new").pack()),)
    )
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
    rows = (
        _caseworker(tr),
        *_hit_buttons(pack, hits, tr),
        (Button("☎️ " + tr._("All help lines"), cb.Emergency().pack()),),
        _main(tr),
    )
    return Screen("\n".join(lines), rows)


def caseworker(pack: Pack, hits: tuple[Hit, ...], tr: Tr) -> Screen:
    """A request for a person: the offer of a caseworker first, then related answers."""
    text = tr._(
        "A caseworker, a real person, can answer you here in this chat. Press the button to "
        "write to them; it takes a minute."
    )
    if hits:
        text += "\n\n" + tr._("Or read one of these answers first:")
    rows = (
        (Button("💬 " + tr._("Write to a caseworker"), cb.Requests("new").pack()),),
        *_hit_buttons(pack, hits, tr),
        _main(tr),
    )
    return Screen(text, rows)


def help_screen(
    pack: Pack, audience: str | None, tr: Tr, commands: Sequence[tuple[str, str]]
) -> Screen:
    """What the bot can do and its commands (from the command table), with the main menu."""
    lines = [esc(tr._("Type your question in your own words, or use the menu.")), ""]
    lines += [f"/{name} — " + esc(tr._(msgid)) for name, msgid in commands]
    return Screen("\n".join(lines), menus.main_menu(pack, audience, tr).rows)


def react(
    pack: Pack,
    reaction: Reaction,
    audience: str | None,
    tr: Tr,
    commands: Sequence[tuple[str, str]] = (),
) -> Screen:
    """The screen for a reaction of `understand` (`commands`: what /help lists)."""
    reply = reaction.reply
    if reply == "emergency":
        return emergency(pack, reaction.hits, tr)
    if reply == "caseworker":
        return caseworker(pack, reaction.hits, tr)
    if reply == "help":
        return help_screen(pack, audience, tr, commands)
    if reply == "thanks":
        return menus.main_menu(
            pack,
            audience,
            tr,
            notice=tr._(
                "Glad I could help. Write another question at any time, or choose a topic."
            ),
        )
    if reply == "greeting":
        return menus.main_menu(pack, audience, tr, notice=menus.welcome(pack, tr))
    if reply == "unsure":
        return unsure(pack, reaction.hits, tr)
    return results(pack, list(reaction.hits), tr)
