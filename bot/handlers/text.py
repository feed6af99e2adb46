"""Where a person's typed message goes: the step they are in, their open case, or search."""

from __future__ import annotations

from telegram import Update

from bot.handlers import casework_person, eligibility, intake
from bot.handlers.context import BotContext
from bot.handlers.render import show
from bot.handlers.search import search_faq
from bot.ui.cases import with_closed_choice
from bot.ui.screen import Screen


async def on_private_text(update: Update, context: BotContext) -> None:
    """Route typed text by the person's stored step; otherwise relay to a case or search."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or message.text is None:
        return
    state = person.state or ""
    if state.startswith("flow"):
        await eligibility.on_typed_answer(update, context)
    elif state.startswith("intake"):
        await intake.on_text(update, context)
    elif state.startswith("case"):
        await casework_person.on_state_text(update, context)
    elif await casework_person.relay_if_open_case(update, context):
        return
    else:
        await search_faq(update, context, message.text)


async def on_private_media(update: Update, context: BotContext) -> None:
    """Photos, documents, voice notes: into a request or a case, else explain where they go."""
    person = context.person
    if person is None:
        return
    state = person.state or ""
    if state.startswith("intake"):
        await intake.on_media(update, context)
        return
    if state.startswith("case"):
        await casework_person.on_state_media(update, context)
        return
    if await casework_person.relay_if_open_case(update, context):
        return
    screen = Screen(
        context.tr._(
            "I can only read text here. To send a photo, document or voice message to a "
            "caseworker, start a request with “Ask a caseworker” in the menu."
        )
    )
    ended = await casework_person.closed_case(context)
    if ended is not None:
        screen = with_closed_choice(screen, *ended, context.tr)
    await show(update, screen)


async def on_edited(update: Update, context: BotContext) -> None:
    """An edited message: we act on messages once, so say that edits are not seen."""
    if update.edited_message and update.edited_message.chat.type == "private":
        await update.edited_message.reply_text(
            context.tr._("I don't see edits to earlier messages. Please send the correction as a new message.")
        )
