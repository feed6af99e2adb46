"""Storage: pragmas, migrations, the inbox's insert-once rule, the outbox's order per chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.db import Database, StorageError, migrations
from bot.storage.inbox import InboxRepo, InboxRow
from bot.storage.outbox import OutboxRepo, enqueue

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def test_database_uses_wal_full_sync_and_secure_delete(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    try:
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA synchronous"))[0] == 2  # type: ignore[index]  # FULL
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 1000  # type: ignore[index]
    finally:
        await db.close()


async def test_migrations_apply_once_and_record_their_version(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = await Database.open(path)
    version = await db.schema_version()
    await db.close()
    assert version == len(migrations()) >= 1
    db = await Database.open(path)  # a second start applies nothing again
    try:
        rows = await db.fetchall("SELECT version FROM schema_version ORDER BY version")
        assert [r[0] for r in rows] == list(range(1, version + 1))
    finally:
        await db.close()


async def test_an_unopenable_database_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "file-not-folder"
    folder.write_text("x")
    with pytest.raises(StorageError, match=r"cannot open|database"):
        await Database.open(folder / "bot.db")


async def test_the_same_update_id_is_stored_and_handled_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "i.db")
    try:
        inbox = InboxRepo(db)
        first = await inbox.add([InboxRow(10, "c1", "{}"), InboxRow(11, "c1", "{}")], NOW)
        again = await inbox.add([InboxRow(11, "c1", "{}"), InboxRow(12, "c2", "{}")], NOW)
        assert [r.update_id for r in first] == [10, 11]
        assert [r.update_id for r in again] == [12]  # 11 was a replay
        assert await inbox.next_offset() == 13
        await inbox.mark_done(10, NOW)
        assert [r.update_id for r in await inbox.unfinished()] == [11, 12]
        row = await db.fetchone("SELECT payload FROM inbox WHERE update_id = 10")
        assert row is not None and row[0] is None  # what the person wrote is gone once handled
        await inbox.mark_done(11, NOW)
        await inbox.mark_done(12, NOW)
        assert await inbox.prune(NOW + timedelta(days=3)) == 3
        assert await inbox.add([InboxRow(12, "c2", "{}")], NOW) == []  # pruned, still refused
        assert await inbox.next_offset() == 13
    finally:
        await db.close()


async def test_outbox_keeps_order_per_chat_and_dedupes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "o.db")
    try:
        repo = OutboxRepo(db)
        async with db.transaction() as conn:
            for n in range(3):
                await enqueue(conn, chat_id=1, method="sendMessage", params={"n": n}, now=NOW, dedupe_key=f"a{n}")
            await enqueue(conn, chat_id=2, method="sendMessage", params={"n": 9}, now=NOW, dedupe_key="b")
            assert await enqueue(conn, chat_id=2, method="sendMessage", params={}, now=NOW, dedupe_key="b") is None
        later = datetime.now(UTC) + timedelta(seconds=1)
        due = await repo.due(later)
        assert [(i.chat_id, i.params["n"]) for i in due] == [(1, 0), (2, 9)]  # only each chat's first
        await repo.mark_sent(due[0].id, 5, NOW)
        due = await repo.due(later)
        assert [(i.chat_id, i.params["n"]) for i in due] == [(1, 1), (2, 9)]
        await repo.mark_chat_unreachable(1, "Forbidden")
        assert [i.chat_id for i in await repo.due(later)] == [2]
    finally:
        await db.close()
