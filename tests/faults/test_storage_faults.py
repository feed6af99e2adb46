"""A database that is read-only, full or locked: one clear line, a controlled stop (exit 4) or
a retry, and never a lost update: what was not stored was not confirmed to Telegram, so after
the fault is fixed and the bot restarted, everything is handled, once."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from bot.sandbox import Emulator
from bot.storage import sqlite as db_module
from bot.storage.errors import StorageError
from bot.storage.inbox import InboxRow
from bot.storage.sqlite import SqliteDriver as Database
from tests.e2e.harness import Harness, HarnessFactory
from tests.faults.botproc import ROOT, BotProcess, bot_env
from tests.faults.helpers import act, count_containing, inbox_statuses, query, wait_quiet

HELP_MARK = "/delete"  # a line of the /help answer


def _sqlite_conn(h: Harness) -> aiosqlite.Connection:
    """The harness store's SQLite connection (these faults are SQLite's own)."""
    driver = h.services.store.driver
    assert isinstance(driver, Database)
    return driver.conn


def _no_dac_override() -> list[str]:
    """As root, permissions do not stop writes: run the child without CAP_DAC_OVERRIDE."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only to the bot")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_no_dac_override(), sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _largest_file(folder: Path, pattern: str) -> int:
    return max(p.stat().st_size for p in folder.glob(pattern))


async def _stops_with_storage_error(harness: Harness, timeout: float = 15.0) -> StorageError:  # noqa: ASYNC109
    runtime = harness.runtime
    assert runtime is not None
    with pytest.raises(StorageError) as caught:
        await asyncio.wait_for(runtime.wait(), timeout)
    return caught.value


def _answered_once(harness: Harness, chat_id: int, needle: str) -> int:
    return count_containing(harness.emu, chat_id, needle)


# -- start-up -------------------------------------------------------------------------------


async def test_read_only_database_at_start_is_exit_4_with_one_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "bot.db"
    db = await Database.open(path)
    await db.close()
    env = bot_env(
        token="123456:TEST-TOKEN",
        api_url="http://127.0.0.1:9/bot",
        db_path=path,
        staff_chat_id=None,
    )
    path.chmod(0o444)  # the folder stays writable: SQLite then opens the file read-only, quietly
    try:
        result = _run_cli(env)
    finally:
        path.chmod(0o644)
    assert result.returncode == 4, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines and all(f"the database {path} is read-only" in line for line in lines), lines
    # The same sentence is logged (CRITICAL) and printed ("error: ..."): two lines, one message.
    assert len(lines) <= 2, lines


async def test_locked_database_at_start_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    await db.close()
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match="is locked by another process"):
            await Database.open(path)
    finally:
        locker.close()


# -- while running, in process ---------------------------------------------------------------


async def test_database_turning_read_only_stops_the_bot_and_loses_nothing(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Two paths: the poller cannot store what it fetched (not confirmed, fetched again after
    the restart), and a handler cannot write (the update stays pending, replayed after)."""
    h = await harness_factory()
    person = h.person("Ruhi", "en")
    await _sqlite_conn(h).execute("PRAGMA query_only = 1")
    await person.send("/help")
    error = await _stops_with_storage_error(h)
    assert f"the database {h.db_path} is read-only" in str(error)
    assert h.emu.pending_updates == 1  # fetched, never confirmed: Telegram still holds it
    assert query(h.db_path, "SELECT COUNT(*) n FROM inbox")[0]["n"] == 0
    await h.stop()

    await h.start()  # the fault is fixed (a fresh connection): handled once
    await person.wait_for(HELP_MARK, timeout=10)
    await h.settle()
    assert inbox_statuses(h.db_path) == {"done": 1}

    # Now the update is stored, and the database turns read-only under the handler.
    runtime = h.runtime
    assert runtime is not None and runtime.dispatcher is not None
    original = runtime.dispatcher._process

    async def read_only_then_process(row: InboxRow) -> None:
        await _sqlite_conn(h).execute("PRAGMA query_only = 1")
        await original(row)

    runtime.dispatcher._process = read_only_then_process
    newcomer = h.person("Nazli", "en")
    await newcomer.send("/help")
    error = await _stops_with_storage_error(h)
    assert "is read-only" in str(error)
    assert inbox_statuses(h.db_path) == {"done": 1, "pending": 1}  # never marked failed
    await h.stop()
    await h.start()
    await newcomer.wait_for(HELP_MARK, timeout=10)
    await h.settle()
    assert inbox_statuses(h.db_path) == {"done": 2}
    assert _answered_once(h, person.chat_id, HELP_MARK) == 1
    # Handled twice: the first run answered (PTB goes on to the next handler group after the
    # person lookup failed) but could not record it; the replay answers again. At least once.
    assert 1 <= _answered_once(h, newcomer.chat_id, HELP_MARK) <= 2
    assert h.emu.internal_errors == []
    assert not [r for r in caplog.records if "Task exception was never retrieved" in r.getMessage()]


async def test_full_database_stops_the_bot_and_after_space_is_freed_nothing_is_lost(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory()
    conn = _sqlite_conn(h)
    page_count = await (await conn.execute("PRAGMA page_count")).fetchone()
    assert page_count is not None
    pages = page_count[0]
    await conn.execute(f"PRAGMA max_page_count = {pages}")
    people = [h.person(f"Full{i}", "en") for i in range(6)]
    for person in people:
        await person.send("/help " + "x" * 2000)
        await person.send("/help")
    error = await _stops_with_storage_error(h)
    assert f"the disk holding {h.db_path} is full" in str(error)
    assert "failed" not in inbox_statuses(h.db_path)
    await h.stop()
    await h.start()
    await h.settle()
    assert inbox_statuses(h.db_path) == {"done": 12}
    for person in people:
        assert 2 <= _answered_once(h, person.chat_id, HELP_MARK) <= 3, person.messages()


async def _lock_while_first_update_is_handled(h: Harness, hold: float) -> asyncio.Future[None]:
    """Another process takes BEGIN EXCLUSIVE just as the bot starts on its next update and
    holds it longer than busy_timeout (lowered to 0.1 s here to keep the test short)."""
    await _sqlite_conn(h).execute("PRAGMA busy_timeout = 100")
    runtime = h.runtime
    assert runtime is not None and runtime.dispatcher is not None
    original = runtime.dispatcher._process
    locker = sqlite3.connect(h.db_path, isolation_level=None)
    loop = asyncio.get_running_loop()
    released: asyncio.Future[None] = loop.create_future()
    locked = False

    def release() -> None:
        locker.execute("COMMIT")
        locker.close()
        released.set_result(None)

    async def lock_then_process(row: InboxRow) -> None:
        nonlocal locked
        if not locked:
            locked = True
            locker.execute("BEGIN EXCLUSIVE")
            loop.call_later(hold, release)
        await original(row)

    runtime.dispatcher._process = lock_then_process
    return released


async def test_locked_database_is_waited_out_and_every_update_handled(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Updates that arrive while locked are fetched again until they can be stored; one
    stored before is handled again until its writes go through; none is marked failed, the
    bot keeps running, and the lock is reported once per worker, not once per update."""
    h = await harness_factory()
    released = await _lock_while_first_update_is_handled(h, hold=0.8)
    first = h.person("Lale", "en")
    await first.send("/help")
    others = [h.person(f"Locked{i}", "en") for i in range(4)]
    await asyncio.sleep(0.2)
    for person in others:
        await person.send("/help")
    await released
    await h.settle()
    runtime = h.runtime
    assert runtime is not None
    assert not any(t.done() for t in runtime._tasks), "the bot stopped"
    assert inbox_statuses(h.db_path) == {"done": 5}
    assert _answered_once(h, first.chat_id, HELP_MARK) >= 1
    for person in others:
        assert _answered_once(h, person.chat_id, HELP_MARK) == 1, person.messages()
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "is locked" in r.getMessage()
    ]
    assert 1 <= len(warnings) <= 3, [r.getMessage() for r in warnings]  # poller, dispatcher, outbox


async def test_an_update_retried_for_a_lock_is_answered_once_without_an_apology(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory()
    released = await _lock_while_first_update_is_handled(h, hold=0.6)
    person = h.person("Lale", "en")
    await person.send("/help")
    await released
    await h.settle()
    assert inbox_statuses(h.db_path) == {"done": 1}
    assert _answered_once(h, person.chat_id, HELP_MARK) == 1
    assert _answered_once(h, person.chat_id, "something went wrong") == 0


# -- while running, a real process -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs prlimit (Linux)")
async def test_disk_full_in_a_real_process_is_exit_4_and_a_restart_loses_nothing(
    tmp_path: Path,
) -> None:
    """The bot process may not grow files any more (RLIMIT_FSIZE: writes fail as on a full
    disk): it stops with exit code 4 and one line; restarted with room, it handles all."""
    emu = Emulator(rate_limits=False)
    await emu.start()
    db_path = tmp_path / "bot.db"
    bot = BotProcess(
        bot_env(token=emu.token, api_url=emu.base_url, db_path=db_path, staff_chat_id=None),
        tmp_path,
    )
    try:
        bot.start()
        first = emu.add_user("First", language_code="en")
        assert await act(first, lambda: first.send("/help"), timeout=30)
        await wait_quiet(db_path, emu)
        limit = _largest_file(tmp_path, "bot.db*")
        assert bot.proc is not None
        resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE, (limit, limit))
        people = [emu.add_user(f"Disk{i}", language_code="en") for i in range(5)]
        for person in people:
            await person.send("/help " + "x" * 3000)
        assert await bot.wait(30) == 4
        log = bot.logs()
        assert (
            "Traceback" not in log and "CRITICAL bot: storage: cannot write the database" in log
        ), log
        assert "failed" not in inbox_statuses(db_path)
        bot.start()
        await wait_quiet(db_path, emu)
        assert await bot.terminate() == 0
        assert inbox_statuses(db_path) == {"done": 6}
        for person in people:
            assert count_containing(emu, person.chat_id, HELP_MARK) == 1
        assert emu.internal_errors == []
    finally:
        bot.stop_quietly()
        await emu.stop()
