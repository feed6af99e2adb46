"""A person's announcements: /subscribe, /unsubscribe, and the n: buttons (see
bot/ui/announcements.py)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as cb
from bot.handlers.context import BotContext
from bot.handlers.render import answer_query, pressed_message, show
from bot.ui import announcements as ui
from bot.ui.screen import Button, Screen


async def subscribe_command(update: Update, context: BotContext) -> None:
    """/subscribe — choose topics, then save."""
    await _screen(update, context, new=True)


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """/unsubscribe — stop every announcement."""
    await _unsubscribe(update, context)


async def on_button(update: Update, context: BotContext) -> None:
    """n: open, n:s: select (nothing saved), n:ok: save, n:stop unsubscribe."""
    query = update.callback_query
    person = context.person
    if query is None or person is None:
        return
    pressed = cb.Subscriptions.unpack(query.data) or cb.Subscriptions()
    ann = context.services.content.announcements
    if pressed.action == "stop":
        await answer_query(update)
        await _unsubscribe(update, context, under_announcement=_is_announcement(update))
        return
    if pressed.action == "s":
        await answer_query(update)
        saved = await context.services.store.subscriptions.topics_of(person.user_id)
        selected = ui.decode_topics(pressed.topics, ann)
        await show(update, ui.subscribe_screen(ann, selected, context.tr, saved=saved))
        return
    if pressed.action == "ok":
        topics = ui.decode_topics(pressed.topics, ann)
        store = context.services.store
        await store.subscriptions.replace(
            person.user_id, topics, context.tr.lang, context.services.clock.now()
        )
        await answer_query(update, context.tr._("Saved.") if topics else None)
        text = ui.subscribed_text(ann, topics, context.tr)
        await show(
            update,
            Screen(
                text,
                (
                    (
                        Button("🔔 " + context.tr._("Change"), cb.Subscriptions().pack()),
                        Button("🏠 " + context.tr._("Main menu"), cb.Menu().pack()),
                    ),
                ),
            ),
        )
        return
    await answer_query(update)
    await _screen(update, context)


async def _screen(update: Update, context: BotContext, *, new: bool = False) -> None:
    person = context.person
    if person is None:
        return
    saved = await context.services.store.subscriptions.topics_of(person.user_id)
    ann = context.services.content.announcements
    await show(update, ui.subscribe_screen(ann, ann.known(saved), context.tr, saved=saved), new=new)


async def _unsubscribe(
    update: Update, context: BotContext, *, under_announcement: bool = False
) -> None:
    person = context.person
    if person is None:
        return
    await context.services.store.subscriptions.remove_all(person.user_id)
    # Under an announcement the announcement stays; the answer comes as a new message.
    await show(update, ui.unsubscribed_screen(context.tr), new=under_announcement)


def _is_announcement(update: Update) -> bool:
    message = pressed_message(update)
    return message is not None and not (message.text or "").startswith("🔔")
