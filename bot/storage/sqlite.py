"""The embedded backend: one SQLite file through aiosqlite (WAL, synchronous=FULL).

One connection carries every write and every transaction, serialised by an asyncio lock, so a
transaction never interleaves with another task's statements (SQLite allows one writer at a
time); plain reads outside a transaction go through a second, read-only connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage import errors
from bot.storage.errors import StorageError
from bot.storage.sql import SQLITE, Row

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Primary SQLite result codes (the low byte of the extended code Python reports).
_LOCKED_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED: another connection holds the lock
_CODE_KINDS = {
    3: errors.READ_ONLY,  # PERM
    7: errors.DAMAGED,  # NOMEM
    8: errors.READ_ONLY,  # READONLY
    10: errors.DAMAGED,  # IOERR
    11: errors.DAMAGED,  # CORRUPT
    13: errors.FULL,  # FULL
    14: errors.UNAVAILABLE,  # CANTOPEN
    15: errors.DAMAGED,  # PROTOCOL
    22: errors.DAMAGED,  # NOLFS
    26: errors.DAMAGED,  # NOTADB
}


def describe(exc: BaseException, path: Path) -> str:
    """One clear line for an operator, from a low-level SQLite error."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return (
            f"the database {path} is read-only: "
            "give the bot's user write access to it and its folder"
        )
    if "disk is full" in text or "database or disk is full" in text:
        return f"the disk holding {path} is full: free space, then restart"
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process: is a second bot running on it?"
    if "unable to open" in text:
        return f"cannot open the database {path}: check that its folder exists and is writable"
    if "disk i/o error" in text:
        return (
            f"cannot write the database {path} (disk I/O error): check the disk, its free "
            "space and file size limits, then restart"
        )
    if "malformed" in text or "not a database" in text:
        return f"the database {path} is damaged: restore it from a backup"
    return f"database error on {path}: {exc}"


def kind_of(exc: sqlite3.Error) -> str:
    """Which StorageError kind a SQLite error is."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return errors.LOCKED
        if "readonly" in text or "read-only" in text:
            return errors.READ_ONLY
        if "disk is full" in text:
            return errors.FULL
        if any(w in text for w in ("disk", "malformed", "not a database")):
            return errors.DAMAGED
        if "unable to open" in text:
            return errors.UNAVAILABLE
        return errors.INVALID
    if code & 0xFF in _LOCKED_CODES:
        return errors.LOCKED
    return _CODE_KINDS.get(code & 0xFF, errors.INVALID)


def migrations() -> list[tuple[int, str, str]]:
    """The numbered SQLite migration scripts shipped with the package, in order."""
    return _migrations("sqlite")


def _migrations(backend: str) -> list[tuple[int, str, str]]:
    found = []
    folder = resources.files("bot.storage").joinpath("migrations").joinpath(backend)
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StorageError(f"{backend} migrations are not numbered 1..n without gaps: {numbers}")
    return found


def _is_query(sql: str) -> bool:
    """A statement that only reads (no INSERT … RETURNING, no PRAGMA that writes)."""
    return sql.lstrip()[:6].upper() == "SELECT"


# Most statements a batch carries under a surge is a few dozen; the cap bounds one trip.
MAX_WRITE_BATCH = 256
WriteResult = int | sqlite3.Error


def _write_batch(
    conn: sqlite3.Connection, writes: list[tuple[str, Sequence[Any]]]
) -> list[WriteResult]:
    """Run on SQLite's thread: the writes in one transaction (one commit, one fsync), each its
    own rowcount or error. A failing statement is undone alone (SQLite's statement rollback)
    unless SQLite rolled the whole transaction back, which fails them all: none committed."""
    if len(writes) == 1:
        sql, params = writes[0]
        try:
            return [conn.execute(sql, params).rowcount]
        except sqlite3.Error as exc:
            return [exc]
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        return [exc] * len(writes)
    results: list[WriteResult] = []
    for sql, params in writes:
        try:
            results.append(conn.execute(sql, params).rowcount)
        except sqlite3.Error as exc:
            if not conn.in_transaction:
                return [exc] * len(writes)
            results.append(exc)
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        return [exc] * len(writes)
    return results


@dataclass
class _Write:
    sql: str
    params: Sequence[Any]
    done: asyncio.Future[int]


class _Statements:
    """Statements on the one connection (under the lock, or inside a transaction holding it)."""

    dialect = SQLITE

    def __init__(self, db: SqliteDriver, conn: aiosqlite.Connection | None, locked: bool) -> None:
        self._db = db
        self._conn = conn
        self._locked = locked  # inside a transaction: the lock is already held

    @asynccontextmanager
    async def _use(self, sql: str = "") -> AsyncIterator[aiosqlite.Connection]:
        reader = self._db.reader
        if not self._locked and reader is not None and _is_query(sql):
            # A plain read outside a transaction: the reading connection, past the lock.
            try:
                yield reader
            except sqlite3.Error as exc:
                raise self._db.error(exc) from exc
            return
        if self._locked:
            assert self._conn is not None
            conn = self._conn
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._db.error(exc) from exc
            return
        async with self._db.lock:
            conn = self._db.conn
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._db.error(exc) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._use(sql) as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        # One trip to SQLite's thread (execute and fetch together), not two.
        async with self._use(sql) as conn:
            rows = await conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if not self._locked:
            return await self._db.write(sql, params)
        async with self._use() as conn:
            cur = await conn.execute(sql, params)
            return int(cur.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            async with tx._use() as conn:
                await conn.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        """A transaction: a new one, or this one if these statements are already inside one."""
        if self._locked:
            yield self
            return
        async with self._db.transaction() as tx:
            yield tx


class SqliteDriver:
    """One SQLite file: pragmas, numbered migrations, one connection, short transactions."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"SQLite {path}"
        self._conn: aiosqlite.Connection | None = None
        # A second connection for plain reads (WAL lets it read beside the writer): a read
        # never waits behind the lock, whose every hand-over costs a turn of the event loop.
        # Under a surge that hand-over, not SQLite, capped the bot (see bench/RESULTS.md).
        self.reader: aiosqlite.Connection | None = None
        self.lock = asyncio.Lock()
        self._locks: dict[str, asyncio.Lock] = {}
        self._writes: list[_Write] = []
        self._writer: asyncio.Task[None] | None = None
        self.executor = _Statements(self, None, locked=False)

    def error(self, exc: BaseException) -> StorageError:
        if isinstance(exc, StorageError):
            return exc
        kind = kind_of(exc) if isinstance(exc, sqlite3.Error) else errors.DAMAGED
        return StorageError(describe(exc, self.path), kind)

    @classmethod
    async def open(cls, path: Path) -> SqliteDriver:
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
            if str(path) != ":memory:":
                db.reader = await aiosqlite.connect(str(path), isolation_level=None)
                db.reader.row_factory = aiosqlite.Row
                for pragma in (f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}", "PRAGMA query_only=ON"):
                    await db.reader.execute(pragma)
        except (sqlite3.Error, OSError) as exc:
            for conn in (db.reader, db._conn):
                if conn is not None:
                    await conn.close()
            kind = kind_of(exc) if isinstance(exc, sqlite3.Error) else errors.UNAVAILABLE
            raise StorageError(describe(exc, path), kind) from exc
        return db

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("database is closed", errors.UNAVAILABLE)
        return self._conn

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement outside a transaction, committed when this returns.

        Writes that arrive while a commit is under way share the next one (group commit):
        one trip to SQLite's thread and one fsync for all of them. One at a time, each paid
        its own fsync and two turns of the event loop while holding the lock, and under a
        surge the people waiting on those writes, not the CPU, set the pace.
        """
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._writes.append(_Write(sql, params, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="sqlite-writes")
        return await done

    async def _write_batches(self) -> None:
        while self._writes:
            batch: list[_Write] = []
            try:
                async with self.lock:
                    # Taken once the lock is held: a caller who gave up (cancelled) while a
                    # transaction ran writes nothing.
                    batch = [w for w in self._writes[:MAX_WRITE_BATCH] if not w.done.done()]
                    del self._writes[:MAX_WRITE_BATCH]
                    if not batch:
                        continue
                    results = await self._run_in_thread(batch)
            except BaseException as exc:
                failure = self.error(exc) if isinstance(exc, sqlite3.Error) else exc
                for w in batch:
                    if not w.done.done():
                        w.done.set_exception(failure)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for w, result in zip(batch, results, strict=True):
                if w.done.done():
                    continue
                if isinstance(result, sqlite3.Error):
                    failure = self.error(result)
                    failure.__cause__ = result
                    w.done.set_exception(failure)
                else:
                    w.done.set_result(int(result))

    async def _run_in_thread(self, batch: list[_Write]) -> list[WriteResult]:
        conn = self.conn
        # aiosqlite has no public call for "run this on the connection's thread"; _execute is
        # what each of its public methods uses (pyproject caps aiosqlite to the versions
        # checked). The storage tests break at the first write if it ever changes.
        try:
            raw = conn._conn
        except ValueError:  # aiosqlite's word for a connection already closed
            raise StorageError("database is closed", errors.UNAVAILABLE) from None
        results: list[WriteResult] = await conn._execute(
            _write_batch, raw, [(w.sql, w.params) for w in batch]
        )
        return results

    async def close(self) -> None:
        if self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer}, timeout=5)
        if self.reader is not None:
            await self.reader.close()
            self.reader = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def schema_version(self) -> int:
        row = await self.executor.fetchone(
            "SELECT COALESCE(MAX(version), 0) AS v FROM schema_version"
        )
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
                + (
                    "\nINSERT INTO schema_version(version, name)"
                    f" VALUES ({number}, '{name}');\nCOMMIT;"
                )
            )

    async def _check_writable(self) -> None:
        """Fail at start, not at the first update, if the file is read-only to this process
        (SQLite then quietly opens it read-only, and only writes fail)."""
        conn = self.conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('write_check', '')"
            )
        finally:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on error; one at a time."""
        async with self.lock:
            conn = self.conn
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.error(exc) from exc
            try:
                yield _Statements(self, conn, locked=True)
                await conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite rolls back by itself on some errors (a full disk, for one); a second
                # ROLLBACK would then fail and hide the real error. A failed COMMIT must not
                # leave the transaction open either, or every later BEGIN fails.
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        await conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self.error(exc) from exc
                raise

    async def compact(self) -> None:
        """Fold the WAL into the main file (so erased data leaves the WAL too)."""
        async with self.lock:
            try:
                await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise self.error(exc) from exc

    async def notify(self, channel: str) -> None:
        """One process: whoever waits is woken in-process, by its caller."""

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        """One process: nobody else notifies."""

    @asynccontextmanager
    async def advisory_lock(self, name: str) -> AsyncIterator[bool]:
        """One process owns the file: a lock of this process is the whole story."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True

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
