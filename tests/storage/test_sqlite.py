"""What only the embedded backend has: SQLite's pragmas, and a clear error for a bad path."""

from __future__ import annotations

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
