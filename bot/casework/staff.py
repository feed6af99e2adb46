"""Who counts as staff: current members of the staff chat (checked, briefly cached), and admins."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

log = logging.getLogger(__name__)

# Telegram's placeholder sender for anonymous group admins.
ANONYMOUS_ADMIN_ID = 1087968824
MEMBER_STATUSES = {
    ChatMemberStatus.OWNER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.RESTRICTED,
}


@dataclass
class StaffDirectory:
    """Answers "may this user act as a caseworker?" with a short cache of getChatMember."""

    bot: Bot
    staff_chat_id: int | None
    admin_ids: frozenset[int]
    ttl: float = 60.0
    # Whether the staff chat has topics: None until Telegram has told us (asked again on use).
    forum: bool | None = None
    names: dict[int, str] = field(default_factory=dict)
    _cache: dict[int, tuple[float, bool]] = field(default_factory=dict)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    async def is_member(self, user_id: int) -> bool:
        """A current member of the staff chat (admins from ADMIN_IDS always count)."""
        if user_id in self.admin_ids:
            return True
        if self.staff_chat_id is None or user_id == ANONYMOUS_ADMIN_ID:
            return False
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        try:
            member = await self.bot.get_chat_member(self.staff_chat_id, user_id)
            allowed = member.status in MEMBER_STATUSES
            if member.status == ChatMemberStatus.RESTRICTED:
                # Restricted, then left (or removed): Telegram keeps the restriction on record
                # with is_member false. Such a person is no caseworker.
                allowed = bool(getattr(member, "is_member", False))
        except TelegramError as exc:
            log.warning("staff check failed (%s); denying", type(exc).__name__)
            allowed = False
        self._cache[user_id] = (now, allowed)
        return allowed

    def forget(self, user_id: int) -> None:
        self._cache.pop(user_id, None)

    def remember_name(self, user_id: int, first_name: str) -> None:
        """Caseworker first names live in memory only (for signatures and the card)."""
        self.names[user_id] = first_name

    @property
    def is_forum(self) -> bool:
        return bool(self.forum)

    async def refresh_forum(self) -> bool | None:
        """Ask Telegram whether the staff chat has topics; None if it cannot say right now."""
        if self.staff_chat_id is None:
            return None
        try:
            chat = await self.bot.get_chat(self.staff_chat_id)
        except TelegramError as exc:
            log.error(
                "cannot read the staff chat (%s): is the bot a member of it?", type(exc).__name__
            )
            return None
        self.forum = bool(chat.is_forum)
        if not self.forum:
            log.warning("the staff chat has no forum topics: using reply-based relay")
        return self.forum

    async def uses_topics(self) -> bool:
        """Whether new cases get a topic; asks Telegram again if it could not tell before."""
        if self.forum is None:
            await self.refresh_forum()
        return bool(self.forum)

    def is_staff_chat(self, chat_id: int | None) -> bool:
        return chat_id is not None and chat_id == self.staff_chat_id
