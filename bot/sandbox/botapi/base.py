"""The emulator's shared state and the few lookups every layer above needs."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.botapi.errors import ApiError, bad
from bot.sandbox.botapi.faults import Faults
from bot.sandbox.botapi.limits import FloodControl, RateLimits
from bot.sandbox.botapi.state import (
    ACTIVE_STATUSES,
    ADMIN_STATUSES,
    BotEvent,
    CallbackQueryState,
    Chat,
    FileInfo,
    Message,
    User,
    WebhookConfig,
)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class EmulatorState:
    """In-memory Telegram: users, chats, topics, messages, files, updates and the bot's calls."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        latency: float = 0.0,
        rate_limits: bool | RateLimits = True,
        callback_timeout: float = 15.0,
        bot_username: str = "helpdesk_test_bot",
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.latency = latency
        self.flood = FloodControl(
            rate_limits
            if isinstance(rate_limits, RateLimits)
            else RateLimits(enabled=bool(rate_limits))
        )
        self.callback_timeout = callback_timeout
        self.privacy_mode = privacy_mode  # non-admin bots in groups see only commands/replies
        # Deliver every update kind whatever allowed_updates says (as a webhook set up by
        # another tool would): tests of what the bot does with kinds it did not ask for.
        self.deliver_everything = False
        self.faults = Faults()
        self.sent_log: list[dict[str, Any]] = []
        self.error_log: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []  # emulator bugs (tracebacks); should stay empty
        self.calls: collections.Counter[str] = collections.Counter()
        self.base_url = ""  # set by start(): "http://127.0.0.1:PORT/bot"
        self.file_base_url = ""  # for telegram.Bot(base_file_url=...), file downloads
        self.bot = User(
            id=int(token.split(":", 1)[0]),
            first_name="Helpdesk Test Bot",
            username=bot_username,
            is_bot=True,
        )
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, FileInfo] = {}
        self.callback_queries: dict[str, CallbackQueryState] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.events: list[BotEvent] = []
        self.last_poll_t: float | None = None
        self._user_ids = itertools.count(200_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 700_000_001
        self._delivered_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight = 0
        self._last_call_t = time.monotonic()
        self.webhook: WebhookConfig | None = None
        self.webhook_retry_base = 0.2
        self.webhook_retry_cap = 3.0
        self.webhook_timeout = 10.0  # seconds a delivery may take before it counts as failed
        self.webhook_deliveries = 0  # answered 2xx (the update is confirmed)
        self.webhook_failures = 0  # answered otherwise, or no answer (retried)
        self.webhook_log: list[dict[str, Any]] = []  # per attempt: update_id, status, t
        self.webhook_peak_in_flight = 0
        # A load balancer in front of the webhook (several instances): each delivery goes to
        # the next of these base URLs, the webhook URL's path kept, as nginx would spread them.
        self.webhook_balancer: list[str] = []
        self._balancer_next = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_in_flight: dict[int, asyncio.Task[None]] = {}
        # update_id -> (failures, not before)
        self._webhook_retry: dict[int, tuple[int, float]] = {}
        self._webhook_last_error: tuple[int, str] | None = None
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {}  # method.lower() -> (name, impl)

    @property
    def limits(self) -> RateLimits:
        """The flood-control caps in force (their fields may be changed in place)."""
        return self.flood.limits

    @limits.setter
    def limits(self, value: RateLimits) -> None:
        self.flood.limits = value

    @property
    def rate_limited(self) -> int:
        """How many calls this emulator refused with 429 for flood control (not faults)."""
        return self.flood.refusals

    # ----------------------------------------------------------------- changes and events

    def _signal(self) -> None:
        """Wake everyone waiting for a change (drivers, long polls)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, within: float) -> None:
        """Sleep until the next state change or `within` seconds, whichever comes first."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), within)

    def _event(self, kind: str, msg: Message) -> None:
        self.events.append(
            BotEvent(len(self.events) + 1, kind, msg.chat_id, msg.message_id, time.monotonic())
        )

    @property
    def event_seq(self) -> int:
        """Sequence number of the latest bot event."""
        return len(self.events)

    # ----------------------------------------------------------------- lookups

    def _chat(self, chat_id: Any, *, for_sending: bool = True) -> Chat:
        """The chat a call names, if the bot may act there (403 as Telegram, else 400)."""
        chat: Chat | None = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == chat_id[1:]), None)
        if chat is None:
            raise bad("chat not found")
        if chat.type == "private":
            user = self.users[chat.id]
            if for_sending and user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if for_sending and not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            status = chat.members.get(self.bot.id, "left")
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
            if status not in ACTIVE_STATUSES:
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _bot_is_admin(self, chat: Chat) -> bool:
        return chat.type == "private" or chat.members.get(self.bot.id) in ADMIN_STATUSES
