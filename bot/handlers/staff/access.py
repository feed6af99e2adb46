"""Who may act as staff, checked on every staff update (callback data is client-supplied)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.casework.staff import ANONYMOUS_ADMIN_ID
from bot.handlers.context import BotContext
from bot.i18n import Tr
from bot.services import Services


@dataclass(frozen=True)
class Actor:
    """The staff member behind an update: a user, or the staff chat's anonymous admin."""

    user_id: int | None
    name: str | None
    anonymous: bool = False

    @property
    def audit_id(self) -> int | None:
        return self.user_id


async def staff_actor(update: Update, context: BotContext) -> Actor | None:
    """The actor if they are a current member of the staff chat (or an admin), else None."""
    staff = context.services.staff
    message = update.effective_message
    chat = update.effective_chat
    if staff is None:
        return None
    if message is not None and message.sender_chat is not None and update.callback_query is None:
        # Anonymous admins post as the group itself; only admins can be anonymous, so a
        # message signed by the staff chat itself is trusted, and audited as such.
        if (
            chat is not None
            and staff.is_staff_chat(message.sender_chat.id)
            and message.sender_chat.id == chat.id
        ):
            return Actor(None, None, anonymous=True)
        return None
    user = update.effective_user
    if user is None or user.is_bot or user.id == ANONYMOUS_ADMIN_ID:
        return None
    if not await staff.is_member(user.id):
        return None
    staff.remember_name(user.id, user.first_name)
    return Actor(user.id, user.first_name)


def is_admin(context: BotContext, actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.user_id is not None
        and context.services.require_staff().is_admin(actor.user_id)
    )


def staff_chats(services: Services) -> frozenset[int]:
    """Where staff commands and case buttons work: the staff group and team chats."""
    ids = (
        {services.settings.staff_chat_id} if services.settings.staff_chat_id is not None else set()
    )
    ids |= {t.chat_id for t in services.content.routing.teams.values() if t.chat_id is not None}
    return frozenset(i for i in ids if i is not None)


async def _say(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, do_quote=False)


async def gate(
    update: Update, context: BotContext, *, admin: bool = False, refusal: str = ""
) -> Actor | None:
    """The staff member behind a command, if it came from a staff chat and they may use it.

    Elsewhere (another group, a private chat) nothing about any case is read or shown: a
    caseworker is told where the command works, anyone else hears what an unknown command
    gets (in a private chat) or nothing. In the staff chat, non-members get nothing.
    """
    services = context.services
    chat = update.effective_chat
    tr = staff_tr_of(services)
    if chat is None or chat.id not in staff_chats(services):
        user = update.effective_user
        if (
            user is not None
            and not user.is_bot
            and services.staff is not None
            and await services.require_staff().is_member(user.id)
        ):
            await _say(update, tr._("Staff commands work only in the staff group."))
        elif chat is not None and chat.type == "private":
            await _say(
                update, context.tr._("I don't know that command. Send /help to see what I can do.")
            )
        return None
    actor = await staff_actor(update, context)
    if actor is None:
        return None
    if admin and not is_admin(context, actor):
        await _say(update, tr._(refusal) if refusal else tr._("Only admins can do this."))
        return None
    return actor


StaffHandler = Callable[[Update, BotContext, Actor], Awaitable[None]]


def staff_command(
    *, admin: bool = False, refusal: str = ""
) -> Callable[[StaffHandler], Callable[[Update, BotContext], Coroutine[Any, Any, None]]]:
    """A staff command: runs only in a staff chat, for a current caseworker (or an admin)."""

    def decorate(
        handler: StaffHandler,
    ) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
        @functools.wraps(handler)
        async def gated(update: Update, context: BotContext) -> None:
            actor = await gate(update, context, admin=admin, refusal=refusal)
            if actor is not None:
                await handler(update, context, actor)

        return gated

    return decorate


async def staff_press_actor(update: Update, context: BotContext) -> Actor | None:
    """The caseworker pressing a case button in a staff chat; the press is answered otherwise."""
    from bot.handlers.render import answer_query

    query = update.callback_query
    tr = staff_tr_of(context.services)
    message = query.message if query is not None else None
    if message is None or message.chat.id not in staff_chats(context.services):
        await answer_query(update, tr._("This button works only in the staff group."), alert=True)
        return None
    actor = await staff_actor(update, context)
    if actor is None or actor.user_id is None:
        await answer_query(update, tr._("Only current caseworkers can do this."), alert=True)
        return None
    return actor


def staff_tr_of(services: Services) -> Tr:
    """Staff-side texts: STAFF_LANGUAGE, else the pack's default."""
    return services.catalogs.tr(
        services.settings.staff_language or services.content.pack.default_language
    )
