"""Every handler, registered in one place, in order (PTB runs the first match per group)."""

from __future__ import annotations

from collections.abc import Callable
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

from bot import callbacks as cb
from bot.services import Services

PRIVATE = filters.ChatType.PRIVATE
NEW = filters.UpdateType.MESSAGE


def register(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Group -1 resolves the person and language; group 0 routes the update."""
    from bot.handlers import (
        announce,
        casework_person,
        commands,
        common,
        eligibility,
        intake,
        menu,
        privacy,
        text,
    )
    from bot.handlers.staff import announce as staff_announce
    from bot.handlers.staff import cards, relay

    application.add_handler(TypeHandler(Update, common.ignore_unserved), group=-2)
    application.add_handler(TypeHandler(Update, common.resolve_person), group=-1)

    # New messages only: an edit never runs a command (PTB's default, which `filters` replaces,
    # would also match edited messages). Staff commands check their chat and rights themselves.
    for command in commands.COMMANDS:
        where = PRIVATE & NEW if command.scope == "person" else NEW
        application.add_handler(CommandHandler(command.name, command.handler, filters=where))
    services.help_commands = commands.help_lines()

    buttons: list[tuple[type[cb.CallbackData], Callable[..., Any]]] = [
        (cb.Menu, menu.on_main_or_topic),
        (cb.Item, menu.on_item),
        (cb.Feedback, menu.on_feedback),
        (cb.Emergency, menu.on_emergency),
        (cb.Language, menu.on_language),
        (cb.Audience, menu.on_audience),
        (cb.FlowStart, eligibility.on_start_flow),
        (cb.FlowAnswer, eligibility.on_answer),
        (cb.FlowBack, eligibility.on_back),
        (cb.FlowExit, eligibility.on_exit),
        (cb.Requests, casework_person.on_button),
        (cb.Intake, intake.on_button),
        (cb.Privacy, privacy.on_button),
        (cb.Subscriptions, announce.on_button),
        (cb.Announce, staff_announce.on_button),
        (cb.Card, cards.on_card_button),
    ]
    for kind, callback in buttons:
        application.add_handler(CallbackQueryHandler(callback, pattern=kind.matches()))
    application.add_handler(CallbackQueryHandler(common.unknown_callback))

    application.add_handler(MessageHandler(PRIVATE & NEW & filters.CONTACT, intake.on_contact))
    application.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            text.on_private_text,
        )
    )
    application.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND, common.unknown_command
        )
    )
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT, text.on_private_media)
    )
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, text.on_edited))

    staff_chats = staff_chat_ids(services)
    if staff_chats:
        application.add_handler(
            MessageHandler(
                filters.Chat(staff_chats)
                & filters.UpdateType.MESSAGE
                & ~filters.COMMAND
                & ~filters.StatusUpdate.ALL,
                relay.on_staff_message,
            )
        )

    application.add_handler(
        ChatMemberHandler(common.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )

    application.add_error_handler(common.on_error)


def staff_chat_ids(services: Services) -> list[int]:
    """The main staff chat and any team chats from routing.yaml."""
    ids = (
        {services.settings.staff_chat_id} if services.settings.staff_chat_id is not None else set()
    )
    ids |= {t.chat_id for t in services.content.routing.teams.values() if t.chat_id is not None}
    return sorted(i for i in ids if i is not None)
