"""A local, deliberately strict emulator of the Telegram Bot API over HTTP (aiohttp).

The emulator itself is built in bot.sandbox.botapi (state, faults, limits, validation, messages,
updates, people's actions, webhook, methods, HTTP); this module adds the test drivers (people
and groups to act as) and is the import path for all of it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable

from bot.sandbox.botapi.actions import command_entities
from bot.sandbox.botapi.core import EmulatorCore
from bot.sandbox.botapi.errors import ApiError
from bot.sandbox.botapi.faults import Fault, Faults
from bot.sandbox.botapi.limits import RateLimits
from bot.sandbox.botapi.spec import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    CHAT_ACTIONS,
    SENDING_METHODS,
    TEXT_LIMIT,
    TOPIC_ICON_COLORS,
    WEBHOOK_SECRET_HEADER,
)
from bot.sandbox.botapi.spec import REQUIRED as _REQUIRED
from bot.sandbox.botapi.state import (
    ANONYMOUS_ADMIN_ID,
    PERSON_CONTENT_FIELDS,
    RESTRICTED_LEFT,
    BotEvent,
    CallbackQueryState,
    Chat,
    FileInfo,
    Message,
    Topic,
    Upload,
    User,
    WebhookConfig,
)
from bot.sandbox.driver import GroupDriver, UserDriver

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "CHAT_ACTIONS",
    "PERSON_CONTENT_FIELDS",
    "RESTRICTED_LEFT",
    "SENDING_METHODS",
    "TEXT_LIMIT",
    "TOPIC_ICON_COLORS",
    "WEBHOOK_SECRET_HEADER",
    "_REQUIRED",
    "ApiError",
    "BotEvent",
    "CallbackQueryState",
    "Chat",
    "Emulator",
    "Fault",
    "Faults",
    "FileInfo",
    "Message",
    "RateLimits",
    "Topic",
    "Upload",
    "User",
    "WebhookConfig",
    "command_entities",
    "serve_forever",
]


class Emulator(EmulatorCore):
    """In-memory Telegram served over the Bot API, with drivers for its people and groups."""

    @functools.cached_property
    def _group_drivers(self) -> dict[int, GroupDriver]:
        """chat id -> the one driver of each group made with add_group."""
        return {}

    def add_user(
        self,
        first_name: str,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        started: bool = False,
    ) -> UserDriver:
        """Create a person with a private chat; the bot may write first only if started=True."""
        user = self._create_user(
            first_name,
            language_code=language_code,
            last_name=last_name,
            username=username,
            phone=phone,
            started=started,
        )
        return UserDriver(self, user, groups=self._group_drivers)

    def add_group(
        self,
        title: str,
        *,
        forum: bool = True,
        members: Iterable[UserDriver] = (),
        admins: Iterable[UserDriver] = (),
        bot_is_admin: bool = True,
        creator: UserDriver | None = None,
    ) -> GroupDriver:
        """Create a supergroup (a forum by default) with the bot in it."""
        chat = self._create_group(
            title,
            forum=forum,
            members=[m.user_id for m in members],
            admins=[a.user_id for a in admins],
            bot_is_admin=bot_is_admin,
            creator=None if creator is None else creator.user_id,
        )
        driver = GroupDriver(self, chat)
        self._group_drivers[chat.id] = driver
        return driver

    def group(self, chat_id: int) -> GroupDriver:
        """The driver of a group made with add_group (one per group, so cursors are shared)."""
        return self._group_drivers[chat_id]


async def serve_forever(port: int, latency: float, token: str) -> None:
    """Run a standalone emulator with demo people until cancelled (Ctrl-C)."""
    emu = Emulator(token, latency=latency)
    await emu.start(port=port)
    aysel = emu.add_user("Aysel", language_code="az", started=True)
    ivan = emu.add_user("Ivan", language_code="ru", started=True)
    reza = emu.add_user("Reza", language_code="fa", started=True)
    staff = emu.add_user("Kamala", language_code="az", started=True)
    group = emu.add_group("Caseworkers", forum=True, admins=[staff])
    print(f"Bot API emulator: BOT_API_URL={emu.base_url} BOT_TOKEN={emu.token}", flush=True)
    print(
        f"demo people: Aysel={aysel.user_id} Ivan={ivan.user_id} Reza={reza.user_id}; "
        f"staff Kamala={staff.user_id} in STAFF_CHAT_ID={group.chat_id}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()
