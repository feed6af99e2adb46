"""Typed text outside any step: intents (emergency, a person, greetings) first, then the FAQ."""

from __future__ import annotations

from telegram import Update

from bot.content.understand import understand
from bot.handlers.casework_person import closed_case
from bot.handlers.context import BotContext
from bot.handlers.render import show
from bot.ui.cases import with_closed_choice
from bot.ui.search import react


async def search_faq(update: Update, context: BotContext, text: str) -> None:
    """Answer typed text by what it is: an intent's reply or the FAQ (the query is not stored)."""
    bundle = context.services.content
    person = context.person
    reaction = understand(bundle, text, context.tr.lang)
    screen = react(
        bundle.pack,
        reaction,
        person.audience if person else None,
        context.tr,
        context.services.help_commands,
    )
    ended = await closed_case(context)
    if ended is not None:
        screen = with_closed_choice(screen, *ended, context.tr, after=reaction.reply == "emergency")
    await show(update, screen)
