"""Who may act as staff, checked on every staff update (callback data is client-supplied)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from bot.casework.staff import ANONYMOUS_ADMIN_ID
from bot.handlers.context import BotContext


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
        if chat is not None and staff.is_staff_chat(message.sender_chat.id) and message.sender_chat.id == chat.id:
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
    return actor is not None and actor.user_id is not None and context.services.staff.is_admin(actor.user_id)
