"""What only the embedded backend has: SQLite's pragmas, and a clear error for a bad path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import StorageError
from bot.storage.sqlite import SqliteDriver, migrations


async def test_database_uses_wal_full_sync_and_secure_delete(tmp_path: Path) -> None:
    db = await SqliteDriver.open(tmp_path / "a.db")
    try:
        ex = db.executor
        assert (await ex.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await ex.fetchone("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
        assert (await ex.fetchone("PRAGMA secure_delete"))[0] == 1  # type: ignore[index]
        assert (await ex.fetchone("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]
        assert await db.schema_version() == len(migrations())
    finally:
        await db.close()


async def test_an_unopenable_database_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "file-not-folder"
    folder.write_text("x")
    with pytest.raises(StorageError, match=r"cannot open|database"):
        await SqliteDriver.open(folder / "bot.db")
