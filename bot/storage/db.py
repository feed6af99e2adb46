"""The SQLite database: pragmas, numbered migrations, one writer, short transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database cannot be used (read-only, full, corrupt); the message is for operators."""


def describe_sqlite_error(exc: BaseException, path: Path) -> str:
    """One clear line for an operator, from a low-level SQLite error."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only: give the bot's user write access to it and its folder"
    if "disk is full" in text or "database or disk is full" in text:
        return f"the disk holding {path} is full: free space, then restart"
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process: is a second bot running on it?"
    if "unable to open" in text:
        return f"cannot open the database {path}: check that its folder exists and is writable"
    if "disk i/o error" in text:
        return (f"cannot write the database {path} (disk I/O error): check the disk, its free "
                "space and file size limits, then restart")
    if "malformed" in text or "not a database" in text:
        return f"the database {path} is damaged: restore it from a backup"
    return f"database error on {path}: {exc}"


# Primary SQLite result codes (the low byte of the extended code Python reports).
_TRANSIENT_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED: another connection holds the lock
# PERM, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOLFS, NOTADB
_FAULT_CODES = {3, 7, 8, 10, 11, 13, 14, 15, 22, 26}


def storage_fault(exc: BaseException) -> str | None:
    """Whether an error is the storage's fault rather than the code's.

    "transient": the database is locked by someone else beyond busy_timeout (retry later);
    "fatal": read-only, full, damaged, unreadable (stop; nothing is confirmed to Telegram
    that was not stored, so a restart once it is fixed loses nothing);
    None: not a storage fault (a constraint, an SQL mistake: a bug in the caller).
    """
    if isinstance(exc, StorageError):
        return "fatal"
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return "transient"
        return "fatal" if any(w in text for w in ("readonly", "disk", "malformed", "not a database")) else None
    if code & 0xFF in _TRANSIENT_CODES:
        return "transient"
    if code & 0xFF in _FAULT_CODES:
        return "fatal"
    return None


def as_storage_error(exc: BaseException, path: Path) -> StorageError:
    """The operator's one-line StorageError for a low-level storage fault."""
    if isinstance(exc, StorageError):
        return exc
    error = StorageError(describe_sqlite_error(exc, path))
    error.__cause__ = exc
    return error


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migration scripts shipped with the package, in order."""
    found = []
    folder = resources.files("bot.storage").joinpath("migrations")
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StorageError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


class Database:
    """One aiosqlite connection that all writes go through, serialised by a lock.

    SQLite allows one writer at a time; funnelling writes through one connection and one
    asyncio lock means a transaction never interleaves with another task's statements.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed), set pragmas and apply pending migrations."""
        db = cls(path)
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            db._conn = await aiosqlite.connect(str(path), isolation_level=None)
            db._conn.row_factory = aiosqlite.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys=ON",
                # Deleted personal data is overwritten with zeros, not left in free pages.
                "PRAGMA secure_delete=ON",
            ):
                await db._conn.execute(pragma)
            await db._migrate()
            await db._check_writable()
        except (sqlite3.Error, OSError) as exc:
            if db._conn is not None:
                await db._conn.close()
            raise StorageError(describe_sqlite_error(exc, path)) from exc
        return db

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("database is closed")
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        return int(row["v"]) if row else 0

    async def _migrate(self) -> None:
        conn = self.conn
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
            " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
        )
        cur = await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        row = await cur.fetchone()
        current = int(row[0]) if row else 0
        for number, name, script in migrations():
            if number <= current:
                continue
            log.info("applying migration %s", name)
            # executescript commits; wrap the script so it applies whole or not at all.
            await conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + script
                + f"\nINSERT INTO schema_version(version, name) VALUES ({number}, '{name}');\nCOMMIT;"
            )

    async def _check_writable(self) -> None:
        """Fail at start, not at the first update, if the file is read-only to this process
        (SQLite then quietly opens it read-only, and only writes fail)."""
        conn = self.conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', '')")
        finally:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on error; one at a time."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself on some errors (a full disk, for one); a second
                # ROLLBACK would then fail and hide the real error. A failed COMMIT must not
                # leave the transaction open either, or every later BEGIN fails.
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await conn.execute("ROLLBACK")
                raise

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement in its own transaction; return lastrowid or rowcount."""
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return cur.lastrowid if cur.lastrowid else cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        # One trip to SQLite's thread (execute and fetch together), not two: every update
        # reads its person, and each trip costs a thread hand-off and a loop wake-up.
        async with self._lock:
            rows = await self.conn.execute_fetchall(sql, params)
        for row in rows:
            return row  # type: ignore[no-any-return]
        return None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file (so erased data leaves the WAL too)."""
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
