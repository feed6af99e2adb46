"""Every update's first step (person and language), /start, /help, errors, the unknown."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import callbacks as cb
from bot.delivery.inbox_worker import current_outcome, describe_error
from bot.handlers.context import BotContext, leave_step
from bot.handlers.render import answer_query, show
from bot.storage.errors import storage_fault
from bot.ui import menus
from bot.ui.screen import Screen

log = logging.getLogger(__name__)

# The update kinds the bot serves are delivery.poller.ALLOWED_UPDATES (the poller asks
# Telegram for these only); anything else that arrives (business messages, inline queries,
# payments, polls, reactions, channel posts...) is not for it and is dropped before any handler.
_ignored_kinds: set[str] = set()


async def ignore_unserved(update: Update, context: BotContext) -> None:
    """Drop, quietly, updates of kinds the bot does not serve (logged once per kind).

    A business message in particular looks like a private chat, but belongs to a Telegram
    Business account's customer: answering it would write to the wrong person.
    """
    if (
        update.message is not None
        or update.callback_query is not None
        or update.edited_message is not None
        or update.my_chat_member is not None
    ):
        return  # ALLOWED_UPDATES, spelled out: this runs for every update
    kind = next(
        (k for k, v in (update.to_dict() or {}).items() if k != "update_id" and v), "unknown"
    )
    if kind not in _ignored_kinds:
        _ignored_kinds.add(kind)
        log.info("ignoring %s updates: this bot does not serve them", kind)
    raise ApplicationHandlerStop


async def resolve_person(update: Update, context: BotContext) -> None:
    """Resolve who is writing and in which language, once, before any other handler."""
    services = context.services
    pack = services.content.pack
    user = update.effective_user
    chat = update.effective_chat
    if user is None:
        return
    if chat is None or chat.type != ChatType.PRIVATE:
        context.tr = services.catalogs.tr(pack.resolve_language(user.language_code))
        query = update.callback_query
        if query is not None and not (
            cb.Card.matches()(query.data) or cb.Announce.matches()(query.data)
        ):
            # Only case buttons live in groups: a person's menu button pressed (or forged) here
            # must not edit a staff message into a menu. The runtime answers the press.
            raise ApplicationHandlerStop
        return
    context.update_id = update.update_id
    person = await services.people.touch(
        user.id, services.clock.now(), reachable=update.my_chat_member is None
    )
    context.person = person
    if update.update_id <= person.last_update_id:
        # Handled before the process died, but not marked done: its effects are committed.
        await answer_query(update)
        raise ApplicationHandlerStop
    lang = person.language if person.language_chosen and person.language in pack.languages else None
    context.tr = services.catalogs.tr(lang or pack.resolve_language(user.language_code))
    press = update.callback_query is not None
    if update.message is None and update.edited_message is None and not press:
        return
    # Messages, edits and presses all count: a flood of any of them would hold up the
    # person's own lane and fill the inbox. What goes over is dropped without an answer,
    # but for one polite notice (and a stopped spinner for a press).
    count = services.flood.hit(user.id, press=press)
    if services.flood.over(count, press=press):
        if press:
            await answer_query(update)
        elif update.message is not None and services.flood.first_over(count):
            await chat.send_message(
                context.tr._(
                    "You are sending messages very fast. Please wait a minute, then go on."
                )
            )
        raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    """Greet; the first time, ask for a language, then show the main menu."""
    person = context.person
    pack = context.services.content.pack
    if person is None:
        return
    await leave_step(context)
    greeting = menus.welcome(pack, context.tr)
    if not person.language_chosen:
        picker = menus.language_picker(pack, context.tr.lang, True, context.tr)
        await show(update, Screen(f"{greeting}\n\n{picker.text}", picker.rows))
        return
    await show(update, menus.main_menu(pack, person.audience, context.tr, notice=greeting))


async def help_command(update: Update, context: BotContext) -> None:
    """What the bot can do and its commands, with the main menu."""
    from bot.ui.search import help_screen

    person = context.person
    pack = context.services.content.pack
    audience = person.audience if person else None
    await show(update, help_screen(pack, audience, context.tr, context.services.help_commands))


async def cancel(update: Update, context: BotContext) -> None:
    """Leave whatever step the person is in and go back to the main menu."""
    person = context.person
    if person is None:
        return
    notice = context.tr._("Cancelled. Nothing was sent.") if person.state else ""
    await leave_step(context)
    await show(
        update,
        menus.main_menu(context.services.content.pack, person.audience, context.tr, notice=notice),
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we do not know: say so and point to /help."""
    if update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        await show(
            update,
            Screen(context.tr._("I don't know that command. Send /help to see what I can do.")),
        )


async def unknown_callback(update: Update, context: BotContext) -> None:
    """A button we cannot read (forged, or from a much older version)."""
    await answer_query(update)
    if context.person is not None:
        pack = context.services.content.pack
        await show(update, menus.menu_changed(pack, context.person.audience, context.tr), new=True)


async def on_error(update: object, context: BotContext) -> None:
    """Log the update id and error type (never the text) and apologise to the person."""
    outcome = current_outcome.get()
    error = context.error
    if outcome is not None and error is not None:
        outcome.error = error
    if error is not None and storage_fault(error) is not None:
        # The database, not the update: the inbox worker handles it again once the database
        # answers (or stops the bot). Nothing more runs now, and nobody is told twice.
        raise ApplicationHandlerStop
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler failed for update %s: %s",
        update_id,
        describe_error(error) if error else "unknown",
    )
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == ChatType.PRIVATE
    ):
        try:
            await update.effective_chat.send_message(
                context.tr._(
                    "Sorry, something went wrong on our side. Please try again, or send /start."
                )
            )
        except Exception:  # the apology is best effort; the failure is already recorded
            log.debug("could not send the apology for update %s", update_id)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """The bot was added to or removed from a chat: log the chat id (for STAFF_CHAT_ID)."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == ChatType.PRIVATE:
        # The person blocked (kicked) or unblocked the bot: messages to them fail until then.
        if change.new_chat_member.status == "kicked":
            await context.services.people.mark_unreachable(change.chat.id)
        return
    staff = context.services.settings.staff_chat_id
    note = (
        ""
        if change.chat.id == staff
        else " (set STAFF_CHAT_ID to this id if it is the staff group)"
    )
    log.info("bot is now %s in chat %s%s", change.new_chat_member.status, change.chat.id, note)
