"""Storage behind ports: repositories and units of work (store.py) over SQLite (embedded
default) or PostgreSQL (several instances), each with its own numbered migrations."""

from __future__ import annotations

from pathlib import Path

from bot.storage.abuse import AbuseRepo
from bot.storage.errors import StorageError, storage_fault
from bot.storage.sql import Driver
from bot.storage.store import Store, UnitOfWork

__all__ = ["StorageError", "Store", "UnitOfWork", "open_store", "storage_fault"]


async def open_store(
    database: Path | str, *, abuse_key: str = "", max_connections: int = 20
) -> Store:
    """The store for DATABASE_URL's target: a SQLite path, or a postgresql:// URL."""
    driver: Driver
    if isinstance(database, str) and database.split("://", 1)[0] in ("postgresql", "postgres"):
        from bot.storage.postgres import PostgresDriver

        driver = await PostgresDriver.open(database, max_connections=max_connections)
    else:
        from bot.storage.sqlite import SqliteDriver

        driver = await SqliteDriver.open(Path(database))
    try:
        abuse = await AbuseRepo.open(driver.executor, abuse_key)
        await abuse.adopt_legacy_blocks()
    except BaseException:
        await driver.close()
        raise
    return Store(driver, abuse)
