"""Turning screens into Telegram messages: edit the menu in place, send otherwise."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.ui.bidi import isolate_html, isolate_label
from bot.ui.screen import Screen

log = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(isolate_label(b.label), url=b.url) if b.url
                else InlineKeyboardButton(isolate_label(b.label), callback_data=b.data)
                for b in row
            ]
            for row in screen.rows
        ]
    )


async def show(update: Update, screen: Screen, *, new: bool = False) -> Message | None:
    """Edit the message whose button was pressed; send a new one for typed input."""
    query = update.callback_query
    text = isolate_html(screen.text)  # numbers and Latin names inside Persian text
    if query is not None and not new and isinstance(query.message, Message):
        try:
            result = await query.message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(screen),
                link_preview_options=_NO_PREVIEW,
            )
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None  # a double tap: the screen is already what was asked for
            if "not found" not in exc.message.lower() and "can't be edited" not in exc.message.lower():
                raise
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup(screen),
        link_preview_options=_NO_PREVIEW,
    )


async def show_in(update: Update, message_id: int | None, screen: Screen) -> Message | None:
    """Edit an earlier bot message of this chat in place (a counter); send anew if it is gone."""
    chat = update.effective_chat
    if message_id is not None and chat is not None:
        try:
            result = await update.get_bot().edit_message_text(
                isolate_html(screen.text), chat_id=chat.id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=markup(screen), link_preview_options=_NO_PREVIEW,
            )
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None
            if "not found" not in exc.message.lower() and "can't be edited" not in exc.message.lower():
                raise
    return await show(update, screen, new=True)


_answers: set[asyncio.Task[None]] = set()


async def answer_query(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner, concurrently with whatever the handler sends next.

    The answer carries nothing the following edit depends on, so it need not cost a round
    trip of its own; a stale query (too old) is not an error for the person.
    """
    query = update.callback_query
    if query is None:
        return

    async def _answer() -> None:
        try:
            await query.answer(text, show_alert=alert)
        except TelegramError as exc:
            log.debug("callback answer rejected: %s", type(exc).__name__)

    task = asyncio.create_task(_answer())
    _answers.add(task)
    task.add_done_callback(_answers.discard)

