"""Moving up: an operator's SQLite store copied into PostgreSQL (`python -m bot db copy`),
and the bot going on from there: the same people, cases and topics, replies both ways."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage import StorageError
from bot.storage.copy import copy_sqlite_to_postgres
from tests.e2e.flows_helpers import onboard, open_request, person_said
from tests.e2e.harness import ROOT, HarnessFactory
from tests.postgres_fixtures import fresh_database


def _norm(value: Any) -> Any:
    return (
        value
        if value is None or isinstance(value, str)
        else int(value)
        if float(value).is_integer()
        else float(value)
    )


def _sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT IN ('schema_version', 'sqlite_sequence')"
            )
        ]
        out = {}
        for name in names:
            cols = sorted(r[1] for r in conn.execute(f'PRAGMA table_info("{name}")'))
            rows = conn.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
            out[name] = sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)
        return out
    finally:
        conn.close()


async def _postgres_tables(url: str, names: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        out = {}
        for name in names:
            cols = sorted(
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1", name
                )
            )
            rows = await conn.fetch(f"SELECT {', '.join(cols)} FROM {name}")
            out[name] = sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)
        return out
    finally:
        await conn.close()


async def test_a_store_in_use_moves_to_postgres_and_the_conversation_goes_on(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory()
    person = h.person("Mover", "en")
    await onboard(person)
    case_id = await open_request(person, "Passport lost <b>&</b> 🇦🇿 مرحبا", photo=True)
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    aysel = h.caseworkers[0]
    card = next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(h.staff, "Claim", card)
    await aysel.send_in(h.staff, "Before the move", thread_id=thread)
    await person.wait_for("Before the move")
    await h.settle()
    await h.stop()
    before = _sqlite_tables(h.db_path)
    assert before["cases"] and before["case_messages"] and before["people"] and before["relay_map"]

    async with fresh_database() as url:
        report = await copy_sqlite_to_postgres(h.db_path, url)
        assert report.total == sum(len(rows) for rows in before.values())
        assert await _postgres_tables(url, list(before)) == before
        # A second copy into the same (now filled) database is refused, and writes nothing.
        try:
            await copy_sqlite_to_postgres(h.db_path, url)
            raise AssertionError("a non-empty target was accepted")
        except StorageError as exc:
            assert "not empty" in str(exc)
        assert await _postgres_tables(url, list(before)) == before

        h.database_url = url
        await h.start()
        assert h.services.store.backend == "postgres"
        await aysel.send_in(h.staff, "After the move", thread_id=thread)
        await person.wait_for("After the move")
        await person.send("Thanks, still here")
        await h.staff.wait_for(lambda m: person_said(m) == "Thanks, still here", thread_id=thread)
        newcomer = h.person("Newcomer", "en")
        await onboard(newcomer)
        new_case = await open_request(newcomer, "A new request on PostgreSQL")
        assert new_case > case_id  # ids go on from the copied ones
        await h.settle()
        await h.stop()


async def _command(*args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "copy",
        *args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_the_command_refuses_a_non_empty_target_and_a_missing_file(tmp_path: Path) -> None:
    async with fresh_database() as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE people (user_id BIGINT)")
            await conn.execute("INSERT INTO people VALUES (1)")
        finally:
            await conn.close()
        store = tmp_path / "bot.db"
        sqlite3.connect(store).close()
        code, err = await _command("--from", str(store), "--to", url)
        assert code == 4 and "not empty" in err, err
        code, err = await _command("--from", str(tmp_path / "none.db"), "--to", url)
        assert code == 4 and "no SQLite store" in err, err
        code, err = await _command("--to", "mysql://x")
        assert code == 2 and "postgresql://" in err, err


async def test_db_migrate_brings_an_empty_database_to_the_schema_and_stops() -> None:
    from bot.storage.postgres import _migrations

    async with fresh_database() as url:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip() == f"schema version {len(_migrations('postgres'))}"
