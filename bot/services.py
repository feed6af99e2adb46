"""Everything handlers need, built once at start and shared through bot_data."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.abuse import FloodGuard
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogs
from bot.storage import Store

if TYPE_CHECKING:
    from bot.bundle import ContentBundle
    from bot.bundle.service import ContentService
    from bot.storage.abuse import AbuseRepo
    from bot.storage.cases import CasesRepo
    from bot.storage.inbox import InboxRepo
    from bot.storage.outbox import OutboxRepo
    from bot.storage.people import PeopleRepo
    from bot.storage.records import RecordsRepo


_notices: set[asyncio.Future[None]] = set()


class Waker(Protocol):
    """A background sender told there is work now (the announcement sender is one)."""

    def wake(self) -> None: ...


class StaffDirectory(Protocol):
    """Who may act as staff (the casework layer's Telegram-backed directory is one): the port
    the rest of the bot sees, so this composition root imports no layer above it."""

    names: dict[int, str]  # caseworkers' first names, in memory only

    def is_admin(self, user_id: int) -> bool: ...

    async def is_member(self, user_id: int) -> bool: ...

    def remember_name(self, user_id: int, first_name: str) -> None: ...

    async def refresh_forum(self) -> bool | None: ...

    async def uses_topics(self) -> bool: ...

    def is_staff_chat(self, chat_id: int | None) -> bool: ...


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    catalogs: Catalogs
    content: ContentBundle  # swapped whole on /reload
    flood: FloodGuard = field(default_factory=lambda: FloodGuard(20))
    outbox_worker: Waker | None = None  # the outbox sender of this process (woken on queueing)
    staff: StaffDirectory | None = None  # set once the bot knows its staff chat (post_init)
    content_service: ContentService | None = None  # reloads (and follows other instances')
    # (name, msgid) of the commands /help lists; set from the command table at registration.
    help_commands: tuple[tuple[str, str], ...] = ()
    broadcaster: Waker | None = None  # feeds a running announcement to the outbox (wake it)

    def publish_content(self, bundle: ContentBundle, catalogs: Catalogs) -> None:
        """Serve this pack from now on (a reload swaps both in whole)."""
        self.catalogs, self.content = catalogs, bundle

    def require_staff(self) -> StaffDirectory:
        """The staff directory, for code that runs only once it exists (staff handlers)."""
        if self.staff is None:
            raise RuntimeError("the staff directory is set up at start (prepare_staff)")
        return self.staff

    # The store's repositories, each call its own transaction (store.transaction() for more).
    @property
    def inbox(self) -> InboxRepo:
        return self.store.inbox

    @property
    def outbox(self) -> OutboxRepo:
        return self.store.outbox

    @property
    def people(self) -> PeopleRepo:
        return self.store.people

    @property
    def cases(self) -> CasesRepo:
        return self.store.cases

    @property
    def records(self) -> RecordsRepo:
        return self.store.records

    @property
    def abuse(self) -> AbuseRepo:
        return self.store.abuse

    def wake_outbox(self) -> None:
        """Something was queued: the sender looks now (here, or on the instance that sends)."""
        if self.outbox_worker is not None:
            self.outbox_worker.wake()
        if self.store.shared:
            task = asyncio.ensure_future(self.store.notify("outbox"))
            _notices.add(task)
            task.add_done_callback(_notices.discard)
