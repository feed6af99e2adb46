"""The fault tests start the bot many times; the content pack is parsed once for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.app
from bot.content.bundle import ContentBundle, load_bundle

_bundles: dict[Path, ContentBundle] = {}


def _cached_bundle(root: Path) -> ContentBundle:
    key = Path(root).resolve()
    if key not in _bundles:
        _bundles[key] = load_bundle(root)
    return _bundles[key]


@pytest.fixture(autouse=True)
def _parse_content_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loading and indexing the pack takes most of a start (~0.8 s); the tests never change it."""
    monkeypatch.setattr(bot.app, "load_bundle", _cached_bundle)
    yield
