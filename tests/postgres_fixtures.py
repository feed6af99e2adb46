"""PostgreSQL for tests: a database of their own for each test.

The server is the machine's (TEST_POSTGRES_URL, default the local trust-auth server). Without
it the PostgreSQL tests are skipped and the run says so in one line; under CI=true a missing
server fails them instead, so CI always runs them.

Cheap on purpose: a test that wants the bot's schema gets a copy of a template database
migrated once per run (CREATE DATABASE ... TEMPLATE: ~0.2 s instead of ~1 s of migrations);
a test's database is cut off (its connections ended) when the test ends and dropped with the
others at the end of the run, all at once (one DROP is ~1 s, mostly a checkpoint; concurrent
ones share it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypedDict
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class _State(TypedDict):
    available: bool | None  # None until the server was tried
    skipped: int  # PostgreSQL tests skipped for want of a server
    why: str


_state: _State = {"available": None, "skipped": 0, "why": ""}
_template: list[str] = []  # the migrated template of this run, once made
_to_drop: list[str] = []  # this run's databases, dropped at the end of the session


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _reachable() -> bool:
    if _state["available"] is None:
        try:
            import asyncpg

            conn = await asyncio.wait_for(asyncpg.connect(ADMIN_URL), timeout=3)
            await conn.close()
            _state["available"] = True
        except Exception as exc:
            _state["available"] = False
            _state["why"] = f"{type(exc).__name__}"
    return bool(_state["available"])


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    async with fresh_database() as url:
        yield url


@contextlib.asynccontextmanager
async def fresh_database(*, migrated: bool = False) -> AsyncIterator[str]:
    """A new database on the test server for the block (skips without a server): empty, or
    with `migrated` already at the bot's schema (every migration applied, no rows in it)."""
    if not await _reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {ADMIN_URL}")
        _state["skipped"] = int(_state["skipped"]) + 1
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")
    import asyncpg

    template = await _migrated_template() if migrated else None
    name = _new_name("helpdesk_test")
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        if template is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        _to_drop.append(name)
    finally:
        await admin.close()
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        # Nothing of the test may go on using it (a pool left open, a killed child's session).
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        finally:
            await admin.close()


def _new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def _migrated_template() -> str:
    """A database with every PostgreSQL migration applied, made once per run."""
    if not _template:
        import asyncpg

        from bot.storage.postgres import PostgresDriver

        name = _new_name("helpdesk_template")
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        _to_drop.append(name)
        driver = await PostgresDriver.open(_with_database(ADMIN_URL, name), max_connections=1)
        await driver.close()  # (a template may have no sessions when it is copied)
        _template.append(name)
    return _template[0]


async def _drop_all(names: list[str]) -> None:
    import asyncpg

    async def drop(name: str) -> None:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    for start in range(0, len(names), 8):  # a few connections at a time (a shared server)
        await asyncio.gather(*(drop(n) for n in names[start : start + 8]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this run's databases, together (they share the checkpoint each DROP waits for);
    an xdist worker also hands its count of skipped PostgreSQL tests to the controller."""
    names, _to_drop[:] = list(_to_drop), []
    _template.clear()
    if names:
        asyncio.run(_drop_all(names))
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["postgres_skipped"] = (_state["skipped"], _state["why"])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """(xdist controller) Add up what the workers skipped for want of a server."""
    skipped, why = getattr(node, "workeroutput", {}).get("postgres_skipped", (0, ""))
    if skipped:
        _state["skipped"] = int(_state["skipped"]) + int(skipped)
        _state["why"] = why


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line when PostgreSQL tests were skipped for want of a server."""
    if _state["skipped"]:
        terminalreporter.write_line(
            f"PostgreSQL not reachable at {ADMIN_URL} ({_state['why']}): "
            f"{_state['skipped']} PostgreSQL tests skipped (CI=true makes them fail instead)."
        )
