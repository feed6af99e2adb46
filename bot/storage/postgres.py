"""The backend for deployments past one process: PostgreSQL through asyncpg.

asyncpg rather than psycopg 3: it is asyncio-native end to end (no thread hop per
statement, the cost that dominates SQLite's adapter under load), speaks PostgreSQL's binary
protocol, caches prepared statements per connection, and its Record reads by name and by
position like sqlite3.Row, so one set of repositories serves both backends.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.storage import errors
from bot.storage.errors import StorageError
from bot.storage.sql import POSTGRES, Row, qmark_to_dollar
from bot.storage.sqlite import _migrations

log = logging.getLogger(__name__)

# One lock id for "apply migrations" across every instance starting at once.
_MIGRATION_LOCK = 0x6D696772  # "migr"
_ROWCOUNT = re.compile(r"(\d+)$")


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def kind_of(exc: BaseException) -> str:
    if isinstance(
        exc,
        (
            OSError,
            asyncpg.CannotConnectNowError,
            asyncpg.TooManyConnectionsError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.InterfaceError,
        ),
    ):
        return errors.UNAVAILABLE
    if isinstance(exc, asyncpg.PostgresConnectionError):
        return errors.UNAVAILABLE
    if isinstance(exc, (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)):
        return errors.CONFLICT
    if isinstance(exc, asyncpg.LockNotAvailableError):
        return errors.LOCKED
    if isinstance(exc, asyncpg.DiskFullError):
        return errors.FULL
    if isinstance(exc, (asyncpg.ReadOnlySQLTransactionError, asyncpg.InsufficientPrivilegeError)):
        return errors.READ_ONLY
    if isinstance(exc, (asyncpg.DataCorruptedError, asyncpg.IndexCorruptedError)):
        return errors.DAMAGED
    if isinstance(exc, asyncpg.PostgresError):
        return errors.INVALID
    return errors.UNAVAILABLE


def describe(exc: BaseException, where: str) -> str:
    kind = kind_of(exc)
    if kind == errors.UNAVAILABLE:
        return (
            f"cannot reach the database {where} ({type(exc).__name__}): "
            "is PostgreSQL running and DATABASE_URL right?"
        )
    if kind == errors.FULL:
        return f"the disk of the database {where} is full: free space"
    if kind == errors.READ_ONLY:
        return (
            f"the database {where} refuses writes (read-only or no privilege): "
            "check the user's rights"
        )
    if kind == errors.CONFLICT:
        return f"concurrent writers collided on {where}; trying again"
    return f"database error on {where}: {type(exc).__name__}: {exc}"


class _Statements:
    """Statements on a pool (each its own transaction) or on one connection in a transaction."""

    dialect = POSTGRES

    def __init__(self, driver: PostgresDriver, conn: asyncpg.Connection | None) -> None:
        self._driver = driver
        self._conn = conn

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            if self._conn is not None:
                yield self._conn
            else:
                async with self._driver.pool.acquire() as conn:
                    yield conn
        except StorageError:
            raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise self._driver.error(exc) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._use() as conn:
            return list(await conn.fetch(qmark_to_dollar(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._use() as conn:
            row: Row | None = await conn.fetchrow(qmark_to_dollar(sql), *params)
            return row

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._use() as conn:
            status = await conn.execute(qmark_to_dollar(sql), *params)
        match = _ROWCOUNT.search(status or "")
        return int(match.group(1)) if match else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if not batch:
            return
        async with self.transaction() as tx, tx._use() as conn:
            await conn.executemany(qmark_to_dollar(sql), batch)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        """A transaction: a new one, or this one if these statements are already inside one."""
        if self._conn is not None:
            yield self
            return
        async with self._driver.transaction() as tx:
            yield tx


class PostgresDriver:
    """A pool of connections to one PostgreSQL database; its own numbered migrations."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = url
        self.description = f"PostgreSQL {redacted(url)}"
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self.executor = _Statements(self, None)

    def error(self, exc: BaseException) -> StorageError:
        if isinstance(exc, StorageError):
            return exc
        return StorageError(describe(exc, redacted(self.url)), kind_of(exc))

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("database is closed", errors.UNAVAILABLE)
        return self._pool

    @classmethod
    async def open(cls, url: str, *, max_connections: int = 20) -> PostgresDriver:
        driver = cls(url)
        try:
            driver._pool = await asyncpg.create_pool(
                dsn=url,
                min_size=1,
                max_size=max_connections,
                command_timeout=60,
                # Statements are reused per connection; the dynamic IN-lists add a few more.
                statement_cache_size=256,
            )
            await driver._migrate()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            await driver.close()
            raise driver.error(exc) from exc
        return driver

    async def notify(self, channel: str) -> None:
        """Wake every instance listening on `channel` (NOTIFY); best effort."""
        try:
            await self.executor.execute("SELECT pg_notify(?, '')", (channel,))
        except StorageError as exc:
            log.debug("notify %s failed: %s", channel, exc.kind)

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        """Call `wake` whenever an instance notifies `channel` (LISTEN on a connection of its
        own). If that connection is lost, the callers' own timers still find the work."""
        if self._listener is None or self._listener.is_closed():
            self._listener = await asyncpg.connect(dsn=self.url)
        await self._listener.add_listener(channel, lambda *_args: wake())

    async def close(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def schema_version(self) -> int:
        row = await self.executor.fetchone(
            "SELECT COALESCE(MAX(version), 0) AS v FROM schema_version"
        )
        return int(row["v"]) if row else 0

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn:
            # Several instances start together: one applies the migrations, the others wait.
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                current = await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_version"
                )
                for number, name, script in _migrations("postgres"):
                    if number <= current:
                        continue
                    log.info("applying migration %s", name)
                    async with conn.transaction():
                        await conn.execute(script)
                        await conn.execute(
                            "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                            number,
                            name,
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield _Statements(self, conn)
        except StorageError:
            raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise self.error(exc) from exc

    async def compact(self) -> None:
        """Deleted rows leave PostgreSQL's files through VACUUM, which autovacuum runs."""

    @asynccontextmanager
    async def advisory_lock(self, name: str) -> AsyncIterator[bool]:
        """A session-level advisory lock on a connection held for the block: if this process
        dies, the session ends and the lock goes with it."""
        try:
            async with self.pool.acquire() as conn:
                got = await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", name)
                try:
                    yield bool(got)
                finally:
                    if got:
                        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", name)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise self.error(exc) from exc

    async def iterate(
        self, sql: str, params: Sequence[Any], batch: int
    ) -> AsyncIterator[list[Row]]:
        """Keyset pages: `sql` must take the last id as its first parameter and a LIMIT last."""
        last = 0
        while True:
            rows = await self.executor.fetchall(sql, (last, *params, batch))
            if not rows:
                return
            yield rows
            last = rows[-1][0]
