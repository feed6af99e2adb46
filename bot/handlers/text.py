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


# Edited messages already answered (chat, message), per running bot: one notice per message,
# however often it is edited. Bounded: the oldest are forgotten first.
_EDITS_REMEMBERED = 10_000


async def on_edited(update: Update, context: BotContext) -> None:
    """An edited message, wherever it is: edits are never acted on (a command edited in is
    not run, a corrected answer is not taken), so say once that the bot does not see them."""
    message = update.edited_message
    if message is None:
        return
    seen: dict[tuple[int, int], None] = context.application.bot_data.setdefault("edits_seen", {})
    key = (message.chat.id, message.message_id)
    if key in seen:
        return
    seen[key] = None
    if len(seen) > _EDITS_REMEMBERED:
        del seen[next(iter(seen))]
    if message.chat.type != "private":
        from bot.handlers.staff.relay import note_staff_edit

        await note_staff_edit(update, context, message)
        return
    await message.reply_text(
        context.tr._(
            "I don't see edits to earlier messages. Please send the correction as a new message."
        )
    )
