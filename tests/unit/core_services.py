"""The domain services for unit tests, on a real SQLite store and no Telegram: `core_services`
builds them as the runtime would; `ForumStaff` stands in for the staff directory port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.abuse import FloodGuard
from bot.bundle.service import LoadedContent
from bot.clock import Clock, OffsetClock
from bot.config import Settings
from bot.services import Services
from bot.storage import open_store


@contextlib.asynccontextmanager
async def core_services(
    db_path: Path,
    content: LoadedContent,
    settings: Settings,
    *,
    clock: Clock | None = None,
    staff: Any = None,
) -> AsyncIterator[Services]:
    """Services over a fresh store at `db_path` (closed afterwards), with the given pack."""
    store = await open_store(db_path, abuse_key="k" * 32)
    try:
        yield Services(
            settings=settings,
            clock=clock or OffsetClock(),
            store=store,
            catalogs=content.catalogs,
            content=content.bundle,
            flood=FloodGuard(20),
            staff=staff,
        )
    finally:
        await store.close()


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
