"""Messages in the staff chat: a caseworker's reply goes to the person; /note stays inside."""

from __future__ import annotations

from telegram import Message, Update

from bot.casework.service import relay_to_person, staff_tr
from bot.handlers.context import BotContext
from bot.handlers.intake import media_of
from bot.handlers.staff.access import staff_actor
from bot.storage.cases import CaseRow


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
    if message is None or not context.services.staff.is_staff_chat(message.chat.id):
        return
    row = await case_of_message(context, message)
    if row is None:
        await _warn_if_orphan_topic(update, context, message)
        return
    actor = await staff_actor(update, context)
    tr = staff_tr(context.services)
    if actor is None:
        return  # not (or no longer) staff: nothing from the staff chat reaches a person
    if row.user_id is None or row.deleted_at is not None:
        await message.reply_text(tr._("This case's personal data was deleted; nothing can be sent."))
        return
    if row.status in ("closed", "deleted"):
        await message.reply_text(tr._("This case is closed. Reopen it with the Status button to write to the person."))
        return
    kind, file_id = media_of(message)
    sent = await relay_to_person(
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
    )
    if sent:
        await context.services.records.audit(actor.audit_id, "reply", row.id, context.services.clock.now())


async def _warn_if_orphan_topic(update: Update, context: BotContext, message: Message) -> None:
    """A case-named topic that belongs to no case (e.g. left by a crash): say nobody reads it."""
    topic = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    if not message.is_topic_message or topic is None or not topic.name.startswith("#"):
        return  # General, team topics and topics people made themselves are ordinary chat
    if await staff_actor(update, context) is None:
        return
    tr = staff_tr(context.services)
    await message.reply_text("⚠️ " + tr._(
        "This topic belongs to no open case, so the person will not see this message. "
        "Use /find or /case to open the case's current topic."))


async def note_command(update: Update, context: BotContext) -> None:
    """/note text — an internal note in a case topic; never sent to the person."""
    message = update.effective_message
    if message is None:
        return
    actor = await staff_actor(update, context)
    row = await case_of_message(context, message) if actor else None
    tr = staff_tr(context.services)
    if actor is None:
        return
    if row is None:
        await message.reply_text(tr._("Use /note inside a case topic (or as a reply to a case message)."))
        return
    text = (message.text or "").partition(" ")[2].strip()
    if not text:
        await message.reply_text(tr._("Write the note after the command: /note called the school, waiting."))
        return
    now = context.services.clock.now()
    async with context.services.db.transaction() as conn:
        await context.services.cases.add_message(
            conn, case_id=row.id, direction="note", author_id=actor.user_id, text=text, media_kind=None,
            file_id=None, update_id=update.update_id, now=now,
        )
    await context.services.records.audit(actor.audit_id, "note", row.id, now)
    await message.reply_text("📝 " + tr._("Internal note saved. It was not sent to the person."))


async def reply_command(update: Update, context: BotContext) -> None:
    """/reply template_id — send a canned reply in the person's language."""
    message = update.effective_message
    if message is None:
        return
    actor = await staff_actor(update, context)
    if actor is None:
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
        await message.reply_text(tr._("Canned replies: {ids}", ids=", ".join(sorted(replies.ids()))))
        return
    chain = services.content.pack.language_chain(row.record.language)
    text = replies.text(reply_id, chain)
    if text is None or row.user_id is None:
        return
    await relay_to_person(
        services, row, staff_chat_id=message.chat.id, staff_message_id=message.message_id,
        author_id=actor.user_id, author_name=actor.name, text=text, caption=None, kind="text",
        file_id=None, update_id=update.update_id,
    )
    await services.records.audit(actor.audit_id, f"reply_template:{reply_id}", row.id, services.clock.now())
    await message.reply_text("✅ " + tr._("Canned reply “{id}” queued for the person.", id=reply_id))
