"""Shared fixtures: the Bot API emulator, the real bot running against it, PostgreSQL."""

from __future__ import annotations

from tests.e2e.harness import harness, harness_factory  # noqa: F401
from tests.postgres_fixtures import postgres_url, pytest_terminal_summary  # noqa: F401
from tests.sandbox_fixtures import emulator, tg_bot  # noqa: F401
