"""The seam between repositories and database drivers (inside bot/storage only).

Repositories are written once, in the SQL that SQLite and PostgreSQL share, with `?`
placeholders; an `Executor` runs it on one backend (translating placeholders for
PostgreSQL) and turns driver errors into `StorageError`s. Where the dialects differ, the
repository asks its executor's `Dialect`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol


class Row(Protocol):
    """A result row: by column name or position (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: str | int) -> Any: ...

    def keys(self) -> Iterable[str]: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the two SQLs, as small pieces a repository splices in."""

    name: str  # "sqlite" or "postgres"
    for_update: str  # row lock inside a transaction (SQLite's BEGIN IMMEDIATE locks already)
    like: str  # case-insensitive LIKE
    greatest: str  # scalar maximum of two values: "{a}", "{b}"

    def max_of(self, a: str, b: str) -> str:
        return self.greatest.format(a=a, b=b)


SQLITE = Dialect("sqlite", for_update="", like="LIKE", greatest="MAX({a}, {b})")
POSTGRES = Dialect(
    "postgres", for_update=" FOR UPDATE", like="ILIKE", greatest="GREATEST({a}, {b})"
)


class Executor(Protocol):
    """Runs statements, in autocommit (the store's) or inside one transaction (a UoW's)."""

    dialect: Dialect

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """A new transaction, or the current one when these statements are inside one."""
        ...


class Driver(Protocol):
    """A backend: its autocommit executor, transactions, and housekeeping."""

    dialect: Dialect
    description: str  # where it is, for operators' messages (never a password)

    @property
    def executor(self) -> Executor: ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]: ...

    async def close(self) -> None: ...

    async def schema_version(self) -> int: ...

    async def compact(self) -> None:
        """Make erased data leave the files on disk (SQLite's WAL checkpoint; PG: nothing)."""
        ...

    async def notify(self, channel: str) -> None:
        """Wake other instances waiting on `channel` (no-op for a one-process backend)."""
        ...

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        """Call `wake` when another instance notifies `channel`."""
        ...

    def advisory_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold a cluster-wide lock while the block runs; yields False if another holds it."""
        ...

    def iterate(self, sql: str, params: Sequence[Any], batch: int) -> AsyncIterator[list[Row]]:
        """A big read in batches, off the event loop where the driver allows it."""
        ...


def qmark_to_dollar(sql: str) -> str:
    """`?` placeholders (outside quoted literals) as PostgreSQL's `$1, $2, ...`."""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)
