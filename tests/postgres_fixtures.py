"""PostgreSQL for tests: a database of their own, created and dropped around each test.

The server is the machine's (TEST_POSTGRES_URL, default the local trust-auth server). Without
it the PostgreSQL tests are skipped and the run says so in one line; under CI=true a missing
server fails them instead, so CI always runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_state: dict[str, object] = {"available": None, "skipped": 0, "why": ""}


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
async def fresh_database() -> AsyncIterator[str]:
    """A new empty database on the test server, dropped on exit (skips without a server)."""
    if not await _reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {ADMIN_URL}")
        _state["skipped"] = int(_state["skipped"]) + 1  # type: ignore[call-overload]
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")
    import asyncpg

    name = f"helpdesk_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line when PostgreSQL tests were skipped for want of a server."""
    if _state["skipped"]:
        terminalreporter.write_line(
            f"PostgreSQL not reachable at {ADMIN_URL} ({_state['why']}): "
            f"{_state['skipped']} PostgreSQL tests skipped (CI=true makes them fail instead)."
        )
