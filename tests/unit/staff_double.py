"""The staff directory port for unit tests: a staff chat with forum topics, no Telegram."""

from __future__ import annotations


class ForumStaff:
    """A staff chat with topics: `admin` administers it, `members` (and the admin) are in it."""

    def __init__(self, staff_chat: int, admin: int, members: tuple[int, ...] = ()) -> None:
        self.staff_chat = staff_chat
        self.admin = admin
        self.members = {admin, *members}
        self.names: dict[int, str] = {}

    def is_admin(self, user_id: int) -> bool:
        return user_id == self.admin

    async def is_member(self, user_id: int) -> bool:
        return user_id in self.members

    def remember_name(self, user_id: int, first_name: str) -> None:
        self.names[user_id] = first_name

    async def refresh_forum(self) -> bool | None:
        return True

    async def uses_topics(self) -> bool:
        return True

    def is_staff_chat(self, chat_id: int | None) -> bool:
        return chat_id == self.staff_chat
