"""What only the embedded backend has: SQLite's pragmas, and a clear error for a bad path."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage import StorageError
from bot.storage.sqlite import SqliteDriver, migrations
from tests.narrow import present


async def test_database_uses_wal_full_sync_and_secure_delete(tmp_path: Path) -> None:
    db = await SqliteDriver.open(tmp_path / "a.db")
    try:
        ex = db.executor
        assert present(await ex.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert present(await ex.fetchone("PRAGMA synchronous"))[0] == 2  # FULL
        assert present(await ex.fetchone("PRAGMA secure_delete"))[0] == 1
        assert present(await ex.fetchone("PRAGMA busy_timeout"))[0] >= 1000
        assert await db.schema_version() == len(migrations())
    finally:
        await db.close()


async def test_an_unopenable_database_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "file-not-folder"
    folder.write_text("x")
    with pytest.raises(StorageError, match=r"cannot open|database"):
        await SqliteDriver.open(folder / "bot.db")


async def test_the_outbox_rebuild_keeps_rows_ids_and_the_id_sequence(tmp_path: Path) -> None:
    """Migration 5 rebuilds the outbox (SQLite cannot alter a CHECK): nothing lost, and an id
    once used (even by a pruned row) is never handed out again."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    for number, name, script in migrations()[:4]:
        conn.executescript(script)
        conn.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", (number, name))
    for n in range(1, 4):
        conn.execute(
            "INSERT INTO outbox (dedupe_key, chat_id, method, payload, next_attempt_at, created_at)"
            " VALUES (?, 7, 'sendMessage', '{}', 'x', 'x')",
            (f"k{n}",),
        )
    conn.execute("DELETE FROM outbox WHERE id = 3")  # pruned: its id stays used
    conn.commit()
    conn.close()
    db = await SqliteDriver.open(path)
    try:
        ex = db.executor
        assert await db.schema_version() == len(migrations())
        rows = await ex.fetchall("SELECT id, dedupe_key FROM outbox ORDER BY id")
        assert [(r["id"], r["dedupe_key"]) for r in rows] == [(1, "k1"), (2, "k2")]
        await ex.execute(
            "INSERT INTO outbox (chat_id, method, payload, next_attempt_at, created_at, status)"
            " VALUES (7, 'sendMessage', '{}', 'x', 'x', 'skipped')"
        )
        top = await ex.fetchone("SELECT MAX(id) AS top FROM outbox")
        assert top is not None and top["top"] == 4
    finally:
        await db.close()


async def _kv_table(db: SqliteDriver) -> None:
    await db.executor.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")


async def test_writes_arriving_together_share_one_commit_and_fail_alone(tmp_path: Path) -> None:
    db = await SqliteDriver.open(tmp_path / "a.db")
    trips: list[int] = []
    real = db._run_in_thread

    async def counting(batch):
        trips.append(len(batch))
        return await real(batch)

    db._run_in_thread = counting  # type: ignore[method-assign]
    try:
        await _kv_table(db)
        trips.clear()
        ex = db.executor
        results = await asyncio.gather(
            *(ex.execute("INSERT INTO kv (k, v) VALUES (?, ?)", (f"k{i}", i)) for i in range(20)),
            ex.execute("INSERT INTO kv (k, v) VALUES ('k3', 99)"),  # duplicate key: fails alone
            ex.execute("UPDATE kv SET v = v + 1 WHERE k IN ('k1', 'k2')"),
            return_exceptions=True,
        )
        assert results[:20] == [1] * 20
        assert isinstance(results[20], StorageError)
        assert results[21] == 2
        assert sum(trips) == 22 and len(trips) <= 3  # not one trip (and one fsync) per write
        rows = await ex.fetchall("SELECT k, v FROM kv ORDER BY v")
        assert len(rows) == 20
        assert present(await ex.fetchone("SELECT v FROM kv WHERE k = 'k3'"))[0] == 3
        assert present(await ex.fetchone("SELECT v FROM kv WHERE k = 'k2'"))[0] == 3
    finally:
        await db.close()


async def test_a_write_is_committed_when_it_returns_and_reads_never_see_a_transaction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.db"
    db = await SqliteDriver.open(path)
    try:
        await _kv_table(db)
        await db.executor.execute("INSERT INTO kv (k, v) VALUES ('a', 1)")
        other = sqlite3.connect(path)  # another connection sees it: committed, not buffered
        assert other.execute("SELECT v FROM kv WHERE k = 'a'").fetchone() == (1,)
        other.close()
        async with db.transaction() as tx:
            await tx.execute("UPDATE kv SET v = 2 WHERE k = 'a'")
            assert present(await tx.fetchone("SELECT v FROM kv WHERE k = 'a'"))[0] == 2
            # A plain read beside the open transaction sees only what is committed.
            assert present(await db.executor.fetchone("SELECT v FROM kv WHERE k = 'a'"))[0] == 1
        assert present(await db.executor.fetchone("SELECT v FROM kv WHERE k = 'a'"))[0] == 2
    finally:
        await db.close()


async def test_a_cancelled_writer_that_had_not_started_writes_nothing(tmp_path: Path) -> None:
    db = await SqliteDriver.open(tmp_path / "a.db")
    try:
        await _kv_table(db)
        async with db.lock:  # a transaction under way: the write must wait
            task = asyncio.create_task(db.executor.execute("INSERT INTO kv VALUES ('x', 1)"))
            await asyncio.sleep(0.05)
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await db.executor.execute("INSERT INTO kv VALUES ('y', 1)")
        rows = await db.executor.fetchall("SELECT k FROM kv")
        assert [r["k"] for r in rows] == ["y"]
    finally:
        await db.close()
