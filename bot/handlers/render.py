"""Turning screens into Telegram messages: edit the menu in place, send otherwise."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.warnings import PTBUserWarning

from bot.ui.bidi import isolate_html, isolate_label
from bot.ui.screen import Screen

log = logging.getLogger(__name__)

# Raw calls on purpose (see show); PTB's hint to use the typed methods does not apply.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

_NO_PREVIEW = {"is_disabled": True}


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(isolate_label(b.label), url=b.url)
                if b.url
                else InlineKeyboardButton(isolate_label(b.label), callback_data=b.data)
                for b in row
            ]
            for row in screen.rows
        ]
    )


def pressed_message(update: Update) -> Message | None:
    """The message whose button was pressed, if the bot can still see it.

    Telegram marks a message the bot can no longer see with date 0 (PTB may still build a
    Message of it): editing it can only fail, so such a press is answered with a new message.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message) and message.is_accessible:
        return message
    return None


def keyboard_json(screen: Screen) -> dict[str, Any] | None:
    """The screen's buttons as Bot API JSON."""
    if not screen.rows:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": isolate_label(b.label), "url": b.url}
                if b.url
                else {"text": isolate_label(b.label), "callback_data": b.data}
                for b in row
            ]
            for row in screen.rows
        ]
    }


def _params(screen: Screen) -> dict[str, Any]:
    """sendMessage/editMessageText parameters; numbers and Latin names isolated in Persian."""
    params: dict[str, Any] = {
        "text": isolate_html(screen.text),
        "parse_mode": "HTML",
        "link_preview_options": _NO_PREVIEW,
    }
    keyboard = keyboard_json(screen)
    if keyboard is not None:
        params["reply_markup"] = keyboard
    return params


async def show(update: Update, screen: Screen, *, new: bool = False) -> None:
    """Edit the message whose button was pressed; send a new one for typed input.

    Sent as plain Bot API JSON rather than through PTB's typed methods: those build an
    object per button and parse the whole message Telegram sends back, which nobody here
    reads (about a fifth of the bot's CPU per update, see bench/RESULTS.md).
    """
    query = update.callback_query
    params = _params(screen)
    bot = update.get_bot()
    target = pressed_message(update)
    if query is not None and not new and target is not None:
        try:
            await bot.do_api_request(
                "editMessageText",
                api_kwargs={**params, "chat_id": target.chat_id, "message_id": target.message_id},
            )
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # a double tap: the screen is already what was asked for
            if (
                "not found" not in exc.message.lower()
                and "can't be edited" not in exc.message.lower()
            ):
                raise
    chat = update.effective_chat
    if chat is None:
        return
    await bot.do_api_request("sendMessage", api_kwargs={**params, "chat_id": chat.id})


async def show_in(update: Update, message_id: int | None, screen: Screen) -> int | None:
    """Edit an earlier bot message of this chat in place (a counter); send anew if it is gone.

    Returns the id of the message that now shows the screen.
    """
    chat = update.effective_chat
    if chat is None:
        return None
    params = _params(screen)
    bot = update.get_bot()
    if message_id is not None:
        try:
            await bot.do_api_request(
                "editMessageText",
                api_kwargs={**params, "chat_id": chat.id, "message_id": message_id},
            )
            return message_id
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return message_id
            if (
                "not found" not in exc.message.lower()
                and "can't be edited" not in exc.message.lower()
            ):
                raise
    result = await bot.do_api_request("sendMessage", api_kwargs={**params, "chat_id": chat.id})
    return (
        int(result["message_id"]) if isinstance(result, dict) and "message_id" in result else None
    )


_answers: set[asyncio.Task[None]] = set()


def answers_in_flight() -> int:
    """Callback answers started in the background and not finished (tests wait for none)."""
    return len(_answers)


# The ids of button presses answered while handling the current update: the runtime answers
# any press a handler left unanswered (a spinner must never keep turning).
answered_queries: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "answered_queries", default=None
)


async def answer_query(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner, concurrently with whatever the handler sends next.

    The answer carries nothing the following edit depends on, so it need not cost a round
    trip of its own; a stale query (too old) is not an error for the person. A second answer
    to the same press is skipped (Telegram would refuse it).
    """
    query = update.callback_query
    if query is None:
        return
    answered = answered_queries.get()
    if answered is not None:
        if query.id in answered:
            return
        answered.add(query.id)

    params: dict[str, Any] = {"callback_query_id": query.id}
    if text:
        params.update(text=text, show_alert=alert)

    async def _answer() -> None:
        try:
            await update.get_bot().do_api_request("answerCallbackQuery", api_kwargs=params)
        except TelegramError as exc:
            log.debug("callback answer rejected: %s", type(exc).__name__)

    task = asyncio.create_task(_answer())
    _answers.add(task)
    task.add_done_callback(_answers.discard)
