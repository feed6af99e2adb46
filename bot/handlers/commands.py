"""Every command in one table: its handler, who it is for, its line in Telegram's command
menu and in /help. Registration, setMyCommands and /help all read this table."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from telegram import Update

from bot.handlers import announce, casework_person, common, menu, privacy
from bot.handlers.context import BotContext
from bot.handlers.staff import announce as staff_announce
from bot.handlers.staff import desk, relay
from bot.i18n import N_

Scope = Literal["person", "staff"]
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    name: str
    scope: Scope  # person: private chats only; staff: staff chats only (checked by the handler)
    handler: Handler
    menu: str | None = None  # msgid of its entry in Telegram's command menu; None: not listed
    help: str | None = None  # msgid of its line in /help; None: not listed


COMMANDS: tuple[Command, ...] = (
    Command("start", "person", common.start, N_("Main menu"), N_("main menu")),
    Command(
        "language", "person", menu.language_command, N_("Change language"), N_("change language")
    ),
    Command(
        "requests",
        "person",
        casework_person.requests_command,
        N_("My requests to caseworkers"),
        N_("your requests to caseworkers"),
    ),
    Command(
        "emergency",
        "person",
        menu.emergency_command,
        N_("Emergency numbers"),
        N_("emergency numbers"),
    ),
    Command(
        "subscribe",
        "person",
        announce.subscribe_command,
        N_("Announcements: rule changes and events"),
        N_("announcements about rule changes and events"),
    ),
    Command("unsubscribe", "person", announce.unsubscribe_command),
    Command(
        "privacy",
        "person",
        privacy.privacy_command,
        N_("What we store and why"),
        N_("what we store and why"),
    ),
    Command(
        "mydata",
        "person",
        privacy.mydata_command,
        N_("See your data"),
        N_("see what is stored about you"),
    ),
    Command(
        "delete", "person", privacy.delete_command, N_("Delete your data"), N_("delete your data")
    ),
    Command("help", "person", common.help_command, N_("Help")),
    Command("cancel", "person", common.cancel, None, N_("stop what you are doing")),
    Command("about", "person", menu.about_command),
    Command("queue", "staff", desk.queue_command, N_("Open cases")),
    Command("mine", "staff", desk.mine_command, N_("My cases")),
    Command("case", "staff", desk.case_command, N_("Show a case: /case 12")),
    Command("find", "staff", desk.find_command, N_("Search cases: /find words")),
    Command("note", "staff", relay.note_command, N_("Internal note in a case topic")),
    Command("reply", "staff", relay.reply_command, N_("Canned reply: /reply id")),
    Command("report", "staff", desk.report_command, N_("Summary report")),
    Command("block", "staff", desk.block_command, N_("Block the person of a case")),
    Command("unblock", "staff", desk.block_command, N_("Unblock the person of a case")),
    Command("audit", "staff", desk.audit_command, N_("Audit log of a case (admins)")),
    Command("reload", "staff", desk.reload_command, N_("Reload content (admins)")),
    Command(
        "announce",
        "staff",
        staff_announce.announce_command,
        N_("Send an announcement to subscribers (admins)"),
    ),
)


def of_scope(scope: Scope) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if c.scope == scope)


def menu_entries(scope: Scope) -> list[tuple[str, str]]:
    """(name, description msgid) for Telegram's command menu, in table order."""
    return [(c.name, c.menu) for c in of_scope(scope) if c.menu is not None]


def help_lines() -> tuple[tuple[str, str], ...]:
    """(name, msgid) of each command /help lists, in table order."""
    return tuple((c.name, c.help) for c in of_scope("person") if c.help is not None)
