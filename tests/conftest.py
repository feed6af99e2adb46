"""Shared fixtures: the Bot API emulator, and the real bot running against it."""

from __future__ import annotations

from tests.e2e.harness import harness, harness_factory  # noqa: F401
from tests.sandbox_fixtures import emulator, tg_bot  # noqa: F401
