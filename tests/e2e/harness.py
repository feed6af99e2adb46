"""The real bot, started against the emulator with a temporary database, for e2e tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio

from bot.app import BotRuntime
from bot.clock import OffsetClock
from bot.config import Settings
from bot.handlers.render import answers_in_flight
from bot.sandbox import Emulator, GroupDriver, UserDriver
from bot.services import Services
from tests.content_cache import ContentCache
from tests.postgres_fixtures import fresh_database

ROOT = Path(__file__).resolve().parents[2]
ADMIN_ID_PLACEHOLDER = 0
WEBHOOK_SECRET = "harness-webhook-secret_0123456789"


def free_port() -> int:
    """A port nobody listens on right now (the bot binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Harness:
    emu: Emulator
    db_path: Path
    staff: GroupDriver
    caseworkers: list[UserDriver]
    admin: UserDriver
    clock: OffsetClock = field(default_factory=OffsetClock)
    runtime: BotRuntime | None = None
    settings: Settings | None = None
    # Webhook mode: the emulator posts updates to the bot on this port (kept across restarts).
    webhook_port: int | None = None

    @property
    def webhook_url(self) -> str:
        assert self.webhook_port is not None
        return f"http://127.0.0.1:{self.webhook_port}/telegram/updates"

    @property
    def services(self) -> Services:
        assert self.runtime is not None and self.runtime.services is not None
        return self.runtime.services

    database_url: str = ""  # PostgreSQL instead of the SQLite file at db_path
    # The pack loaded once per run (tests/content_cache.py); None: each start loads it.
    content_cache: ContentCache | None = None
    # The shipped bot freezes its heap after start and reloads (bot.heap); off by default
    # here, where one process starts hundreds of bots and each would pay a full collection.
    settle_heap: bool = False

    async def start(self, **overrides: object) -> BotRuntime:
        base = Settings(
            bot_token=self.emu.token,
            bot_api_url=self.emu.base_url,
            database_path=self.db_path,
            database_url=self.database_url,
            staff_chat_id=self.staff.chat_id,
            admin_ids=frozenset({self.admin.user_id}),
            content_dir=ROOT / "content",
            poll_timeout=1,
            pace_chat_interval=0.0,
            pace_group_per_minute=10_000,
            pace_overall_per_second=10_000.0,
        )
        if self.webhook_port is not None:
            base = base.with_overrides(
                webhook_url=self.webhook_url,
                webhook_listen=("127.0.0.1", self.webhook_port),
                webhook_secret=WEBHOOK_SECRET,
            )
        self.settings = base.with_overrides(**overrides) if overrides else base
        self.runtime = BotRuntime(self.settings, clock=self.clock, settle_heap=self.settle_heap)
        if self.content_cache is not None:
            self.runtime.content_loader = self.content_cache.get
        await self.runtime.start()
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def person(self, name: str = "Leyla", language_code: str | None = "en") -> UserDriver:
        return self.emu.add_user(name, language_code=language_code)

    async def _busy(self) -> str | None:
        """What the bot is still doing, or None: nothing in any stage of the pipeline."""
        runtime = self.runtime
        assert runtime is not None and runtime.dispatcher is not None
        if self.emu.pending_updates:
            # Polling: the next getUpdates confirms a batch only once it is stored and handed
            # to the dispatcher. Webhook: the 2xx comes after the same.
            return f"{self.emu.pending_updates} update(s) not confirmed by the bot"
        if runtime.dispatcher.pending:
            return f"{runtime.dispatcher.pending} update(s) being handled"
        if answers_in_flight():
            return "a callback answer on its way"
        worker = runtime.outbox_worker
        if worker is not None and worker.in_flight:
            return f"{worker.in_flight} outbox send(s) in flight"
        if not self.emu.is_idle(0.0):
            return "a Bot API call in flight"
        pending = (await self.services.outbox.counts()).get("pending")
        if pending:
            return f"{pending} outbox item(s) pending"
        return None

    def _activity(self) -> tuple[int, int, int]:
        """Changes the emulator saw: bot events, API calls, updates queued for the bot."""
        return self.emu.event_seq, sum(self.emu.calls.values()), self.emu.pending_updates

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until the bot has handled everything and its outbox is empty.

        A wait on conditions, not on a quiet period: every update confirmed, the dispatcher
        idle, no callback answer, outbox send or Bot API call in flight, nothing pending in the
        outbox; and the same still true, with no new emulator activity, after the event loop
        has run everything that was ready (what one step schedules for the next)."""
        deadline = time.monotonic() + timeout
        while True:
            busy = await self._busy()
            if busy is None:
                mark = self._activity()
                for _ in range(5):
                    await asyncio.sleep(0)
                busy = await self._busy()
                if busy is None and self._activity() == mark:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not settle within {timeout}s: {busy}")
            await self.emu.wait_change(0.02)


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest_asyncio.fixture
async def harness_factory(
    tmp_path: Path, content_cache: ContentCache
) -> AsyncIterator[HarnessFactory]:
    """Build a harness (emulator + staff forum + bot) with optional settings overrides."""
    made: list[Harness] = []

    async def make(
        *,
        forum: bool = True,
        rate_limits: bool = False,
        webhook: bool = False,
        postgres: bool = False,
        settle_heap: bool = False,
        **overrides: object,
    ) -> Harness:
        emu = Emulator(rate_limits=rate_limits)
        await emu.start()
        cw1 = emu.add_user("Aysel", language_code="az")
        cw2 = emu.add_user("Murad", language_code="ru")
        admin = emu.add_user("Admin", language_code="en")
        staff = emu.add_group("Caseworkers", forum=forum, members=[cw1, cw2], admins=[admin])
        h = Harness(
            emu,
            tmp_path / f"bot{len(made)}.db",
            staff,
            [cw1, cw2],
            admin,
            webhook_port=free_port() if webhook else None,
            content_cache=content_cache,
            settle_heap=settle_heap,
        )
        if postgres:
            # At the schema already: migrating a blank database is the contract suite's test.
            h.database_url = await stack.enter_async_context(fresh_database(migrated=True))
        made.append(h)
        await h.start(**overrides)
        return h

    async with contextlib.AsyncExitStack() as stack:
        try:
            yield make
        finally:
            for h in made:
                await h.stop()
                await h.emu.stop()


@pytest_asyncio.fixture
async def harness(harness_factory: HarnessFactory) -> Harness:
    """The bot with a forum staff group, two caseworkers and an admin."""
    return await harness_factory()
