"""Every handler, registered in one place, in order (PTB runs the first match per group)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services import Services

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE


def register(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Group -1 resolves the person and language; group 0 routes the update."""
    from bot.handlers import casework_person, common, eligibility, intake, menu, privacy, text
    from bot.handlers.staff import cards, desk, relay

    application.add_handler(TypeHandler(Update, common.ignore_unserved), group=-2)
    application.add_handler(TypeHandler(Update, common.resolve_person), group=-1)

    person_commands = [
        ("start", common.start),
        ("help", common.help_command),
        ("cancel", common.cancel),
        ("language", menu.language_command),
        ("emergency", menu.emergency_command),
        ("about", menu.about_command),
        ("requests", casework_person.requests_command),
        ("privacy", privacy.privacy_command),
        ("mydata", privacy.mydata_command),
        ("delete", privacy.delete_command),
    ]
    # New messages only: an edit never runs a command (PTB's default, which `filters` replaces,
    # would also match edited messages).
    for name, callback in person_commands:
        application.add_handler(CommandHandler(name, callback, filters=PRIVATE & NEW))

    staff_commands = [
        ("queue", desk.queue_command),
        ("mine", desk.mine_command),
        ("case", desk.case_command),
        ("find", desk.find_command),
        ("report", desk.report_command),
        ("audit", desk.audit_command),
        ("block", desk.block_command),
        ("unblock", desk.block_command),
        ("reload", desk.reload_command),
        ("note", relay.note_command),
        ("reply", relay.reply_command),
    ]
    for name, callback in staff_commands:
        application.add_handler(CommandHandler(name, callback, filters=NEW))

    callbacks = [
        (r"^m:", menu.on_main_or_topic),
        (r"^f:", menu.on_item),
        (r"^h:", menu.on_feedback),
        (r"^e:", menu.on_emergency),
        (r"^l:", menu.on_language),
        (r"^a:", menu.on_audience),
        (r"^g:", eligibility.on_start_flow),
        (r"^q:", eligibility.on_answer),
        (r"^qb:", eligibility.on_back),
        (r"^qx:", eligibility.on_exit),
        (r"^r:", casework_person.on_button),
        (r"^i:", intake.on_button),
        (r"^p:", privacy.on_button),
    ]
    for pattern, callback in callbacks:
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))

    # -- announcements (issue 15): every handler in this block; callback prefixes n: (person)
    # and an: (staff) are defined in bot/ui/announcements.py.
    from bot.handlers import announce
    from bot.handlers.staff import announce as staff_announce

    application.add_handler(CommandHandler("subscribe", announce.subscribe_command, filters=PRIVATE & NEW))
    application.add_handler(CommandHandler("unsubscribe", announce.unsubscribe_command, filters=PRIVATE & NEW))
    application.add_handler(CommandHandler("announce", staff_announce.announce_command, filters=NEW))
    application.add_handler(CallbackQueryHandler(announce.on_button, pattern=r"^n:"))
    application.add_handler(CallbackQueryHandler(staff_announce.on_button, pattern=r"^an:"))
    # -- end of announcements
    application.add_handler(CallbackQueryHandler(cards.on_card_button, pattern=r"^c:"))
    application.add_handler(CallbackQueryHandler(common.unknown_callback))

    application.add_handler(MessageHandler(PRIVATE & NEW & filters.CONTACT, intake.on_contact))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
                                           text.on_private_text))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND, common.unknown_command))
    application.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT, text.on_private_media))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, text.on_edited))

    staff_chats = staff_chat_ids(services)
    if staff_chats:
        application.add_handler(MessageHandler(
            filters.Chat(staff_chats) & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            relay.on_staff_message,
        ))

    application.add_handler(ChatMemberHandler(common.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

    application.add_error_handler(common.on_error)


def staff_chat_ids(services: Services) -> list[int]:
    """The main staff chat and any team chats from routing.yaml."""
    ids = {services.settings.staff_chat_id} if services.settings.staff_chat_id is not None else set()
    ids |= {t.chat_id for t in services.content.routing.teams.values() if t.chat_id is not None}
    return sorted(i for i in ids if i is not None)
