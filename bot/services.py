"""Everything handlers need, built once at start and shared through bot_data."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.abuse import FloodGuard
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Catalogs
from bot.storage import Store

if TYPE_CHECKING:
    from bot.content.bundle import ContentBundle
    from bot.content.service import ContentService
    from bot.delivery.broadcast import BroadcastSender
    from bot.delivery.outbox_worker import OutboxWorker
    from bot.storage.abuse import AbuseRepo
    from bot.storage.cases import CasesRepo
    from bot.storage.inbox import InboxRepo
    from bot.storage.outbox import OutboxRepo
    from bot.storage.people import PeopleRepo
    from bot.storage.records import RecordsRepo


_notices: set[asyncio.Future[None]] = set()


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    catalogs: Catalogs
    content: ContentBundle  # swapped whole on /reload
    flood: FloodGuard = field(default_factory=lambda: FloodGuard(20))
    outbox_worker: OutboxWorker | None = None
    staff: Any = None  # StaffDirectory, set by app
    content_service: ContentService | None = None  # reloads (and follows other instances')
    broadcaster: BroadcastSender | None = None  # feeds a running announcement to the outbox

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
