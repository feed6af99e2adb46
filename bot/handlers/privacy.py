"""/privacy, /mydata and /delete: what is stored, seeing it, and erasing it."""

from __future__ import annotations

import json
from io import BytesIO

from telegram import InputFile, Update
from telegram.constants import ParseMode

from bot import callbacks as cb
from bot.handlers.context import BotContext, pressed_data
from bot.handlers.render import answer_query, show
from bot.privacy.data import collect, erase_and_tell_staff
from bot.ui import privacy as privacy_ui


async def privacy_command(update: Update, context: BotContext) -> None:
    """/privacy — the plain-language notice in the person's language."""
    settings = context.services.settings
    await show(
        update,
        privacy_ui.notice(
            context.tr, settings.retention_closed_days, settings.retention_inactive_days
        ),
    )


async def mydata_command(update: Update, context: BotContext) -> None:
    """/mydata — everything stored about the person, as a message and a JSON file."""
    person = context.person
    chat = update.effective_chat
    if person is None or chat is None:
        return
    data = await collect(context.services, person.user_id)
    await show(update, privacy_ui.summary(data, context.tr, context.services.content.pack))
    payload = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    await chat.send_document(
        InputFile(BytesIO(payload), filename="my-data.json"),
        caption=context.tr._("Everything stored about you, as a file."),
    )


async def delete_command(update: Update, context: BotContext) -> None:
    """/delete — ask for confirmation first."""
    await show(update, privacy_ui.confirm_delete(context.tr))


async def on_button(update: Update, context: BotContext) -> None:
    """p:del:ok erases the person's data; p:del:no keeps it."""
    person = context.person
    query = update.callback_query
    if person is None or query is None:
        return
    services = context.services
    await answer_query(update)
    if pressed_data(update, cb.Privacy) != cb.Privacy("del", "ok"):
        await show(update, privacy_ui.kept(context.tr))
        return
    tr = context.tr
    erasure = await erase_and_tell_staff(services, person.user_id, services.clock.now())
    context.person = None
    chat = update.effective_chat
    if chat is not None:  # a new message: the pressed one may be one the bot can no longer see
        await chat.send_message(
            privacy_ui.deleted_text(tr, len(erasure.cases)), parse_mode=ParseMode.HTML
        )
