"""Moving up: copy an embedded SQLite store into an empty PostgreSQL database.

An operator starts with the default file and grows into several instances. The copy takes
every table as it is (people, cases, their messages, the inbox and outbox still pending, the
abuse record and its key check), in one PostgreSQL transaction: the target ends up with all
of it or none of it. A target holding any row is refused, so nothing is merged or overwritten.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage.errors import StorageError
from bot.storage.postgres import PostgresDriver, redacted
from bot.storage.sqlite import SqliteDriver

log = logging.getLogger(__name__)

# Rows per COPY batch: large enough to be quick, small enough to keep memory flat.
BATCH = 5_000
# Bookkeeping that each backend keeps for itself.
_NOT_COPIED = frozenset({"schema_version", "sqlite_sequence"})


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _convert(kind: str) -> Callable[[Any], Any]:
    """SQLite keeps what it is given; PostgreSQL's binary COPY wants each column's own type."""
    if kind in ("bigint", "integer", "smallint"):
        return lambda v: None if v is None else int(v)
    if kind in ("double precision", "real", "numeric"):
        return lambda v: None if v is None else float(v)
    if kind == "text":
        return lambda v: (
            None if v is None else (v.decode("utf-8") if isinstance(v, bytes) else str(v))
        )
    raise StorageError(
        f"cannot copy a column of type {kind}: the copy knows integers, reals and text"
    )


async def _target_tables(conn: asyncpg.Connection) -> dict[str, dict[str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, dict[str, str]] = {}
    for r in rows:
        tables.setdefault(r["table_name"], {})[r["column_name"]] = r["data_type"]
    return {name: cols for name, cols in tables.items() if name not in _NOT_COPIED}


async def _parents_first(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Tables ordered so that each comes after the tables its foreign keys point to."""
    edges = await conn.fetch(
        "SELECT cl.relname AS child, pr.relname AS parent FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class pr ON pr.oid = c.confrelid"
        " WHERE c.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace"
    )
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for e in edges:
        if e["child"] in parents and e["parent"] != e["child"]:
            parents[e["child"]].add(e["parent"])
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, ps in parents.items() if not ps - set(ordered))
        if not ready:
            raise StorageError(f"foreign keys form a cycle among {sorted(parents)}")
        ordered += ready
        for t in ready:
            del parents[t]
    return ordered


async def copy_sqlite_to_postgres(
    source: Path,
    target_url: str,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy every row of the SQLite store at `source` into the empty database at `target_url`.

    Both are migrated to the newest schema first (the same migrations the bot applies at
    start). Raises StorageError, with nothing written, if the target holds any row or the
    schemas differ.
    """
    if not await asyncio.to_thread(source.exists):
        raise StorageError(f"there is no SQLite store at {source} (DATABASE_PATH)")
    where = redacted(target_url)
    await _refuse_foreign_tables(target_url, where)
    sqlite_store = await SqliteDriver.open(source)  # brings an older file to the newest schema
    await sqlite_store.close()
    target = await PostgresDriver.open(target_url, max_connections=2)
    try:
        async with target.pool.acquire() as conn:
            tables = await _target_tables(conn)
            for table in tables:
                if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    raise StorageError(
                        f"{where} is not empty (table {table} has rows): the copy goes into a new, "
                        "empty database only, so that nothing is merged or overwritten"
                    )
            order = await _parents_first(conn, list(tables))
            # Read-only and outside aiosqlite: a plain connection streams the rows in batches.
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                copied = await _copy_tables(conn, src, order, tables, progress)
            finally:
                src.close()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise target.error(exc) from exc
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {source}: {exc}") from exc
    finally:
        await target.close()
    return CopyReport(copied)


async def _refuse_foreign_tables(url: str, where: str) -> None:
    """Before migrating: a database holding tables of something else is not ours to fill."""
    try:
        conn = await asyncpg.connect(dsn=url)
    except (asyncpg.PostgresError, OSError) as exc:
        raise StorageError(
            f"cannot reach the database {where} ({type(exc).__name__}): "
            "is it created and the URL right?"
        ) from exc
    try:
        names = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
        }
    finally:
        await conn.close()
    if names and "schema_version" not in names:
        raise StorageError(
            f"{where} is not empty (it has tables this bot did not create: "
            f"{', '.join(sorted(names)[:5])}): the copy goes into a new, empty database only"
        )


async def _copy_tables(
    conn: asyncpg.Connection,
    src: sqlite3.Connection,
    order: list[str],
    tables: dict[str, dict[str, str]],
    progress: Callable[[str, int], None] | None,
) -> dict[str, int]:
    source_tables = {
        r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    } - _NOT_COPIED
    if source_tables != set(tables):
        raise StorageError(
            f"the two schemas differ: only in SQLite {sorted(source_tables - set(tables))}, "
            f"only in PostgreSQL {sorted(set(tables) - source_tables)}"
        )
    # SQLite's AUTOINCREMENT never hands out an id again, even a pruned row's: nor will we.
    used = (
        dict(src.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        if any(src.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"))
        else {}
    )
    copied: dict[str, int] = {}
    async with conn.transaction():
        for table in order:
            target_cols = tables[table]
            source_cols = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
            if set(source_cols) != set(target_cols):
                raise StorageError(f"table {table} has other columns in SQLite than in PostgreSQL")
            columns = list(target_cols)
            converters = [_convert(target_cols[c]) for c in columns]
            cursor = src.execute(
                f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"'
            )
            n = 0
            while batch := cursor.fetchmany(BATCH):
                records = [
                    tuple(f(v) for f, v in zip(converters, row, strict=True)) for row in batch
                ]
                await conn.copy_records_to_table(table, records=records, columns=columns)
                n += len(records)
            copied[table] = n
            if progress is not None:
                progress(table, n)
        # Identity columns go on from the highest copied id, not from 1.
        for table, cols in tables.items():
            if "id" in cols and await conn.fetchval(
                "SELECT pg_get_serial_sequence($1, 'id')", table
            ):
                top = max(
                    int(await conn.fetchval(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')),
                    int(used.get(table) or 0),
                )
                await conn.execute(
                    "SELECT setval(pg_get_serial_sequence($1, 'id'), $2, $3)",
                    table,
                    max(top, 1),
                    top > 0,
                )
    return copied
