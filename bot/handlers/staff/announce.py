"""/announce in the staff group: an admin writes (or picks a prepared) announcement, chooses
who gets it, sees a preview with the number of recipients and the time it takes, confirms.

Rights are checked on every step (the command, the typed text, every button): a caseworker
who is no longer an admin, pressing a confirm button they were shown earlier, sends nothing.
Buttons carry the draft's version: a stale or doubled press changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Message, Update
from telegram.constants import ParseMode

from bot import callbacks as cb
from bot.announcements.html import check_html, length_problem
from bot.announcements.model import ALL
from bot.handlers.context import BotContext
from bot.handlers.render import answer_query, pressed_message, show
from bot.handlers.staff.access import Actor, is_admin, staff_command, staff_press_actor, staff_tr_of
from bot.i18n import Tr
from bot.storage.broadcasts import Broadcast
from bot.ui import announcements as ui
from bot.ui.screen import Screen, esc

# An admin's next message counts as the text only this soon after /announce: a draft left
# waiting does not swallow their messages in the chat the next day.
TEXT_WINDOW = timedelta(minutes=30)


def _thread(message: Message | None) -> int | None:
    return message.message_thread_id if message is not None and message.is_topic_message else None


async def _say(message: Message | None, text: str) -> Message | None:
    if message is None:
        return None
    return await message.reply_text(text, parse_mode=ParseMode.HTML, do_quote=False)


@staff_command(admin=True, refusal="Only admins can send announcements.")
async def announce_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/announce, /announce <id>, /announce cancel."""
    services = context.services
    tr = staff_tr_of(services)
    message = update.effective_message
    args = [a for a in (context.args or []) if a]
    repo = services.store.broadcasts
    running = await repo.running()
    if args and args[0].lower() == "cancel":
        if running is not None and await repo.cancel(running.id):
            if services.broadcaster is not None:
                services.broadcaster.wake()
            await _say(
                message,
                esc(
                    tr._(
                        "Announcement #{id} is being cancelled: "
                        "nothing more is queued; a report follows.",
                        id=running.id,
                    )
                ),
            )
            return
        draft = (
            await repo.awaiting_text(actor.user_id, message.chat.id)
            if message and actor.user_id
            else None
        )
        if draft is not None and await repo.discard_draft(draft.id):
            await _say(message, esc(tr._("Draft discarded.")))
            return
        await _say(message, esc(tr._("No announcement is being sent.")))
        return
    if running is not None:
        await _say(
            message,
            esc(
                tr._(
                    "Announcement #{id} is being sent ({done} of {total}). "
                    "Wait for its report, or stop it with /announce cancel.",
                    id=running.id,
                    done=running.done_count,
                    total=running.total,
                )
            ),
        )
        return
    if message is None:
        return
    ann = services.content.announcements
    if args:
        prepared = ann.prepared.get(args[0])
        if prepared is None:
            known = ", ".join(sorted(ann.prepared)) or "—"
            await _say(
                message,
                esc(
                    tr._(
                        "There is no prepared announcement “{id}”. Prepared: {known}.",
                        id=args[0],
                        known=known,
                    )
                ),
            )
            return
        note = ui.expired_note(prepared, services.clock.now().date(), tr)
        if note:
            await _say(message, esc(note))
            return
        bid = await repo.create_draft(
            author_id=actor.user_id,
            chat_id=message.chat.id,
            thread_id=_thread(message),
            now=services.clock.now(),
            announcement_id=prepared.id,
            step="preview",
            topics=tuple(prepared.topics),
        )
        draft = await repo.get(bid)
        assert draft is not None
        await _preview(update, context, draft, new=True)
        return
    await repo.create_draft(
        author_id=actor.user_id,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        now=services.clock.now(),
    )
    await _say(message, ui.ask_text(tr))


async def take_typed_text(update: Update, context: BotContext, actor: Actor) -> bool:
    """The admin's next message after /announce, in the same chat and topic: the text.
    True if the message was taken (it is not relayed anywhere then)."""
    message = update.effective_message
    if message is None or actor.user_id is None:
        return False
    repo = context.services.store.broadcasts
    draft = await repo.awaiting_text(actor.user_id, message.chat.id)
    if draft is None or draft.thread_id != _thread(message):
        return False
    if (
        draft.created_at is not None
        and context.services.clock.now() - draft.created_at > TEXT_WINDOW
    ):
        return False
    tr = staff_tr_of(context.services)
    if not is_admin(context, actor):
        await repo.discard_draft(draft.id)
        await _say(message, esc(tr._("Only admins can send announcements.")))
        return True
    if message.text is None:
        await _say(
            message, esc(tr._("An announcement is text only. Send the text, or /announce cancel."))
        )
        return True
    has_formatting = any(
        e.type
        not in ("url", "email", "phone_number", "mention", "hashtag", "cashtag", "bot_command")
        for e in message.entities
    )
    text = (message.text_html if has_formatting else message.text).strip()
    problem = _problem(text, tr)
    if problem:
        await _say(message, problem)
        return True  # still waiting for a text: nothing changed
    if not await repo.update_draft(draft.id, draft.version, text=text, step="audience"):
        return True
    fresh = await repo.get(draft.id)
    assert fresh is not None
    screen = ui.audience_screen(
        fresh, context.services.content.announcements, context.services.content.pack, tr
    )
    await show(update, screen, new=True)
    return True


def _problem(text: str, tr: Tr) -> str | None:
    checked = check_html(text)
    if checked.problem:
        return esc(
            tr._(
                "Telegram would refuse this text: {problem}. Nothing was saved; "
                "send the corrected text.",
                problem=checked.problem,
            )
        )
    too_long = length_problem(checked.visible)
    if too_long:
        return esc(
            tr._(
                "The text is too long: {problem}. Nothing was saved; send a shorter text.",
                problem=too_long,
            )
        )
    return None


async def on_button(update: Update, context: BotContext) -> None:
    """an:<kind>:<id>:<version>[:<value>] — rights first, then the draft at that version."""
    actor = await staff_press_actor(update, context)
    if actor is None:
        return
    tr = staff_tr_of(context.services)
    if not is_admin(context, actor):
        await answer_query(update, tr._("Only admins can send announcements."), alert=True)
        return
    query = update.callback_query
    assert query is not None
    pressed = cb.Announce.unpack(query.data)
    if pressed is None:
        await answer_query(update)
        return
    kind, bid, version, value = pressed.step, pressed.broadcast, pressed.version, pressed.value
    repo = context.services.store.broadcasts
    draft = await repo.get(bid)
    if draft is None or draft.status != "draft":
        await answer_query(
            update, tr._("This announcement was already sent or discarded."), alert=True
        )
        return
    if draft.version != version:
        await answer_query(
            update, tr._("These buttons are out of date: use the newest message."), alert=True
        )
        return
    ann = context.services.content.announcements
    if kind == "t":
        if value == "=":
            changed = await repo.update_draft(bid, version, step="audience")
        else:
            topics = list(draft.topics)
            if value == ALL:
                topics = [] if ALL in topics else [ALL]
            elif ALL in topics:
                topics = [t for t in ann.topics if t != value]
            elif value in topics:
                topics.remove(value)
            elif value in ann.topics:
                topics.append(value)
            changed = await repo.update_draft(
                bid, version, topics=tuple(ann.known(topics)), step="audience"
            )
        await _redraw(update, context, bid, changed)
    elif kind == "l":
        language = None if value == ALL else value
        if language is not None and language not in context.services.content.pack.languages:
            await answer_query(update)
            return
        await _redraw(
            update,
            context,
            bid,
            await repo.update_draft(bid, version, language=language, step="audience"),
        )
    elif kind == "p":
        await answer_query(update)
        if not draft.topics:
            await answer_query(update, tr._("Choose at least one topic."), alert=True)
            return
        if await repo.update_draft(bid, version, step="preview"):
            fresh = await repo.get(bid)
            assert fresh is not None
            await _preview(update, context, fresh)
    elif kind == "go":
        await _confirm(update, context, draft, actor)
    elif kind == "x":
        await answer_query(update)
        if await repo.discard_draft(bid):
            await show(update, Screen(esc(tr._("Draft discarded."))))
    else:
        await answer_query(update)


async def _redraw(update: Update, context: BotContext, bid: int, changed: bool) -> None:
    await answer_query(update)
    if not changed:
        return
    fresh = await context.services.store.broadcasts.get(bid)
    if fresh is not None:
        services = context.services
        await show(
            update,
            ui.audience_screen(
                fresh, services.content.announcements, services.content.pack, staff_tr_of(services)
            ),
        )


def _body(context: BotContext, draft: Broadcast, tr: Tr) -> str:
    services = context.services
    prepared = services.content.announcements.prepared.get(draft.announcement_id or "")
    if prepared is not None:
        _lang, text = prepared.text_for(services.content.pack.language_chain(tr.lang))
        body, _markup = ui.announcement_message(text, tr, prepared, services.content.pack)
        return body
    return draft.text or ""


async def _preview(
    update: Update, context: BotContext, draft: Broadcast, *, new: bool = False
) -> None:
    """The announcement as subscribers see it, then the counts and the confirm button."""
    services = context.services
    tr = staff_tr_of(services)
    subs = services.store.subscriptions
    count = await subs.count_audience(draft.topics, draft.language)
    unreachable = await subs.count_unreachable(draft.topics)
    note = ""
    if draft.announcement_id:
        earlier = await services.store.broadcasts.last_sent(draft.announcement_id)
        if earlier is not None and earlier.started_at is not None:
            note = tr._(
                "Sent before on {date} (#{id}): subscribers would get it again.",
                date=earlier.started_at.date().isoformat(),
                id=earlier.id,
            )
    if not count:
        note = (note + " " if note else "") + tr._(
            "Nobody is subscribed to these topics in this language: nothing can be sent."
        )
    message = pressed_message(update) or update.effective_message
    if message is not None:
        # Exactly what a subscriber reading the staff's language gets (without the button).
        await message.reply_text(
            _body(context, draft, tr),
            parse_mode=ParseMode.HTML,
            do_quote=False,
            disable_web_page_preview=True,
        )
    per_second = min(
        services.settings.broadcast_per_second, services.settings.pace_overall_per_second
    )
    screen = ui.preview_screen(
        draft, "", count, unreachable, per_second, tr, services.content.announcements, note
    )
    await show(update, screen, new=True)


async def _confirm(update: Update, context: BotContext, draft: Broadcast, actor: Actor) -> None:
    services = context.services
    tr = staff_tr_of(services)
    repo = services.store.broadcasts
    if draft.step != "preview":
        await answer_query(
            update, tr._("These buttons are out of date: use the newest message."), alert=True
        )
        return
    if draft.announcement_id:
        prepared = services.content.announcements.prepared.get(draft.announcement_id)
        note = (
            ui.expired_note(prepared, services.clock.now().date(), tr)
            if prepared
            else tr._("Not in the pack any more.")
        )
        if note:
            await answer_query(update, note, alert=True)
            return
    running = await repo.running()
    if running is not None:
        await answer_query(
            update,
            tr._("Announcement #{id} is being sent; wait for its report.", id=running.id),
            alert=True,
        )
        return
    count = await services.store.subscriptions.count_audience(draft.topics, draft.language)
    if not count:
        await answer_query(
            update,
            tr._("Nobody is subscribed to these topics in this language: nothing can be sent."),
            alert=True,
        )
        return
    if not await repo.start(draft.id, draft.version, count, services.clock.now()):
        await answer_query(
            update, tr._("These buttons are out of date: use the newest message."), alert=True
        )
        return
    await answer_query(update, tr._("Sending."))
    started = await repo.get(draft.id)
    assert started is not None
    who = esc(actor.name or tr._("an admin"))
    await show(
        update, Screen(esc(tr._("Confirmed by {name}: sending to {count}.", name=who, count=count)))
    )
    message = pressed_message(update)
    if message is not None:
        per_second = min(
            services.settings.broadcast_per_second, services.settings.pace_overall_per_second
        )
        progress = await message.reply_text(
            ui.progress_text(started, per_second, tr), parse_mode=ParseMode.HTML, do_quote=False
        )
        await repo.set_progress_message(started.id, progress.message_id)
    if services.broadcaster is not None:
        services.broadcaster.wake()
