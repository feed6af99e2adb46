"""Shared fixtures: the Bot API emulator, the real bot running against it, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bundle.service import LoadedContent
from tests.content_cache import CACHE, ContentCache
from tests.e2e.harness import harness, harness_factory  # noqa: F401
from tests.postgres_fixtures import (  # noqa: F401
    postgres_url,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.sandbox_fixtures import emulator, tg_bot  # noqa: F401


@pytest.fixture(scope="session")
def content_cache() -> Iterator[ContentCache]:
    """The content pack loaded and indexed once per run, shared (read-only) by every bot the
    tests start; at the end of the run, proof that nothing mutated it."""
    yield CACHE
    CACHE.assert_unchanged()


@pytest.fixture(scope="session")
def real_content(content_cache: ContentCache) -> LoadedContent:
    """The shipped pack (content/) with its catalogs, from the run's cache: read-only."""
    return content_cache.get(Path(__file__).resolve().parents[1] / "content")
