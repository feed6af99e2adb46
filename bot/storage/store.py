"""The bot's storage as the rest of the bot sees it: repositories, and units of work.

`Store` holds one repository of each kind over the backend's autocommit executor (each call
its own transaction). `store.transaction()` is a unit of work: the same repositories bound to
one transaction, committed together or not at all — a state change and the outbox rows that
announce it, for instance. Repositories never see a driver; handlers and the core never see
SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.storage.abuse import AbuseRepo
from bot.storage.broadcasts import BroadcastsRepo
from bot.storage.cases import CasesRepo
from bot.storage.inbox import InboxRepo
from bot.storage.leases import LeaseRepo
from bot.storage.meta import MetaRepo
from bot.storage.outbox import OutboxRepo
from bot.storage.people import PeopleRepo
from bot.storage.privacy import PrivacyRepo
from bot.storage.records import RecordsRepo
from bot.storage.sql import Driver, Executor
from bot.storage.subscriptions import SubscriptionsRepo


class UnitOfWork:
    """Repositories bound to one transaction."""

    def __init__(self, tx: Executor, abuse_key: bytes) -> None:
        self.abuse = AbuseRepo(tx, abuse_key)
        self.cases = CasesRepo(tx)
        self.outbox = OutboxRepo(tx)
        self.people = PeopleRepo(tx, self.abuse)
        self.records = RecordsRepo(tx)
        self.meta = MetaRepo(tx)
        self.privacy = PrivacyRepo(tx)
        self.subscriptions = SubscriptionsRepo(tx)
        self.broadcasts = BroadcastsRepo(tx)


class Store:
    """Repositories over one backend (SQLite or PostgreSQL), and units of work."""

    def __init__(self, driver: Driver, abuse: AbuseRepo) -> None:
        self.driver = driver
        ex = driver.executor
        self.abuse = abuse
        self.inbox = InboxRepo(ex)
        self.outbox = OutboxRepo(ex)
        self.people = PeopleRepo(ex, abuse)
        self.cases = CasesRepo(ex)
        self.records = RecordsRepo(ex)
        self.meta = MetaRepo(ex)
        self.privacy = PrivacyRepo(ex)
        self.subscriptions = SubscriptionsRepo(ex)
        self.broadcasts = BroadcastsRepo(ex)
        self.leases = LeaseRepo(ex)

    @property
    def executor(self) -> Executor:
        """Statements straight on the backend, each its own transaction: for tests and
        diagnostics. The bot goes through the repositories."""
        return self.driver.executor

    @property
    def backend(self) -> str:
        return self.driver.dialect.name

    @property
    def description(self) -> str:
        return self.driver.description

    @property
    def shared(self) -> bool:
        """Whether several instances may use this store at once (PostgreSQL)."""
        return self.driver.dialect.name == "postgres"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self.driver.transaction() as tx:
            yield UnitOfWork(tx, self.abuse.key)

    async def notify(self, channel: str) -> None:
        """Tell the other instances there is work on `channel` ("inbox", "outbox")."""
        await self.driver.notify(channel)

    async def compact(self) -> None:
        await self.driver.compact()

    async def close(self) -> None:
        await self.driver.close()

    async def ping(self) -> bool:
        """Whether the store answers (health checks)."""
        try:
            await self.driver.executor.fetchone("SELECT 1 AS one")
        except Exception:
            return False
        return True
