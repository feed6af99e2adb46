"""Messages in the staff chat: a caseworker's reply goes to the person; /note stays inside."""

from __future__ import annotations

from telegram import Message, Update

from bot import callbacks as cb
from bot.casework.service import add_note, relay_to_person, staff_tr
from bot.handlers.context import BotContext
from bot.handlers.media import media_of
from bot.handlers.render import answer_query, markup, pressed_message
from bot.handlers.staff.access import Actor, staff_actor, staff_command
from bot.storage.cases import CaseRow
from bot.ui.screen import Button, Screen, esc


async def case_of_message(context: BotContext, message: Message) -> CaseRow | None:
    """The case a staff-chat message belongs to: its forum topic, or the message it replies to."""
    cases = context.services.cases
    chat_id = message.chat.id
    if message.is_topic_message and message.message_thread_id:
        row = await cases.by_thread(chat_id, message.message_thread_id)
        if row is not None:
            return row
    reply = message.reply_to_message
    if reply is not None and not (reply.forum_topic_created is not None):
        return await cases.by_staff_message(chat_id, reply.message_id)
    return None


async def on_staff_message(update: Update, context: BotContext) -> None:
    """Relay a caseworker's message in a case topic (or a reply in a plain group) to the person."""
    message = update.effective_message
    if message is None or not context.services.require_staff().is_staff_chat(message.chat.id):
        return
    # Rights first: nothing about a case is read for someone who is not (or no longer) staff.
    actor = await staff_actor(update, context)
    if actor is None:
        return  # nothing from the staff chat reaches a person but a current caseworker's words
    from bot.handlers.staff.announce import take_typed_text

    if await take_typed_text(update, context, actor):
        return  # the text of an announcement an admin is writing (/announce), not a reply
    row = await case_of_message(context, message)
    if row is None:
        await _warn_if_orphan_topic(context, message)
        return
    tr = staff_tr(context.services)
    if row.user_id is None or row.deleted_at is not None:
        await message.reply_text(
            tr._("This case's personal data was deleted; nothing can be sent.")
        )
        return
    if row.status in ("closed", "deleted"):
        await message.reply_text(
            tr._("This case is closed. Reopen it with the Status button to write to the person.")
        )
        return
    kind, file_id = media_of(message)
    await relay_to_person(
        context.services,
        row,
        staff_chat_id=message.chat.id,
        staff_message_id=message.message_id,
        author_id=actor.user_id,
        author_name=actor.name,
        text=message.text if kind == "text" else None,
        caption=message.caption,
        kind=kind,
        file_id=file_id,
        update_id=update.update_id,
        audit_action="reply",
        audit_actor=actor.audit_id,
    )


async def _warn_if_orphan_topic(context: BotContext, message: Message) -> None:
    """A case-named topic that belongs to no case (e.g. left by a crash): say nobody reads it."""
    topic = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    if not message.is_topic_message or topic is None or not topic.name.startswith("#"):
        return  # General, team topics and topics people made themselves are ordinary chat
    tr = staff_tr(context.services)
    await message.reply_text(
        "⚠️ "
        + tr._(
            "This topic belongs to no open case, so the person will not see this message. "
            "Use /find or /case to open the case's current topic."
        )
    )


@staff_command()
async def note_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/note text — an internal note in a case topic; never sent to the person."""
    message = update.effective_message
    if message is None:
        return
    row = await case_of_message(context, message)
    tr = staff_tr(context.services)
    if row is None:
        await message.reply_text(
            tr._("Use /note inside a case topic (or as a reply to a case message).")
        )
        return
    text = (message.text or "").partition(" ")[2].strip()
    if not text:
        await message.reply_text(
            tr._("Write the note after the command: /note called the school, waiting.")
        )
        return
    await add_note(context.services, row, actor.user_id, actor.audit_id, text, update.update_id)
    await message.reply_text("📝 " + tr._("Internal note saved. It was not sent to the person."))


@staff_command()
async def reply_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/reply template_id — preview a canned reply in the person's language, sent on a button."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    tr = staff_tr(services)
    row = await case_of_message(context, message)
    replies = services.content.replies
    reply_id = (message.text or "").partition(" ")[2].strip()
    if row is None:
        await message.reply_text(tr._("Use /reply inside a case topic."))
        return
    if not reply_id or reply_id not in replies.ids():
        await message.reply_text(
            tr._("Canned replies: {ids}", ids=", ".join(sorted(replies.ids())))
        )
        return
    found = replies.resolve(reply_id, services.content.pack.language_chain(row.record.language))
    if found is None or row.user_id is None:
        return
    lang, text = found
    language = (
        services.content.pack.languages[lang].name
        if lang in services.content.pack.languages
        else lang
    )
    preview = "\n".join(
        [
            "👁 <b>"
            + esc(
                tr._(
                    "Preview of “{id}” in {language}, as the person will read it:",
                    id=reply_id,
                    language=language,
                )
            )
            + "</b>",
            "",
            esc(text),
        ]
    )
    buttons = (
        (
            Button("✅ " + tr._("Send to the person"), cb.Card(row.id, "rp", str(reply_id)).pack()),
            Button("✖️ " + tr._("Cancel"), cb.Card(row.id, "rpx").pack()),
        ),
    )
    await message.reply_html(preview, reply_markup=markup(Screen(preview, buttons)), do_quote=False)


async def send_canned_reply(
    update: Update, context: BotContext, row: CaseRow, reply_id: str, actor: Actor
) -> None:
    """The Send button under a /reply preview: the reply goes out once, the preview says so."""
    query = update.callback_query
    services = context.services
    tr = staff_tr(services)
    preview = pressed_message(update)
    if query is None or preview is None:
        await answer_query(
            update, tr._("This preview is no longer available. Send /reply again."), alert=True
        )
        return
    found = services.content.replies.resolve(
        reply_id, services.content.pack.language_chain(row.record.language)
    )
    if found is None:  # the content was reloaded without it since the preview
        await answer_query(
            update,
            tr._("This canned reply no longer exists. Send /reply to see the list."),
            alert=True,
        )
        return
    if row.user_id is None or row.status in ("closed", "deleted"):
        await answer_query(
            update,
            tr._("This case is closed. Reopen it with the Status button to write to the person."),
            alert=True,
        )
        return
    # A double tap or two caseworkers at once: the preview is sent at most once.
    if not await services.store.meta.put_once(
        f"reply_preview:{preview.chat.id}:{preview.message_id}", reply_id
    ):
        await answer_query(update, tr._("Already sent."))
        return
    await relay_to_person(
        services,
        row,
        staff_chat_id=preview.chat.id,
        staff_message_id=preview.message_id,
        author_id=actor.user_id,
        author_name=actor.name,
        text=found[1],
        caption=None,
        kind="text",
        file_id=None,
        update_id=update.update_id,
        audit_action=f"reply_template:{reply_id}",
        audit_actor=actor.audit_id,
    )
    await answer_query(update, tr._("Sent."))
    await preview.edit_text(
        f"{preview.text_html}\n\n✅ "
        + esc(tr._("Canned reply “{id}” queued for the person.", id=reply_id)),
        parse_mode="HTML",
    )


async def cancel_canned_reply(update: Update, context: BotContext) -> None:
    """The Cancel button under a /reply preview: nothing is sent."""
    tr = staff_tr(context.services)
    await answer_query(update)
    pressed = pressed_message(update)
    if pressed is not None:
        await pressed.edit_text(
            f"{pressed.text_html}\n\n✖️ " + esc(tr._("Cancelled. Nothing was sent.")),
            parse_mode="HTML",
        )


async def note_staff_edit(update: Update, context: BotContext, message: Message) -> None:
    """A caseworker edited a message in a case topic: the person saw the first version only."""
    services = context.services
    if not services.require_staff().is_staff_chat(message.chat.id) or not message.is_topic_message:
        return  # other groups, and the staff chat's General: edits are ordinary chat
    actor = await staff_actor(update, context)
    if actor is None or await case_of_message(context, message) is None:
        return
    tr = staff_tr(services)
    await message.reply_text(
        "✏️ "
        + tr._(
            "Edits are not sent to the person: they have the first version. "
            "Send the correction as a new message."
        )
    )
