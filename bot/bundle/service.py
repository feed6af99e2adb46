"""The content the bot serves, as one service: loaded at start, reloaded whole on /reload or
SIGHUP (off the event loop: building the search index takes seconds), and the same on every
instance sharing a store (a generation counter there says when another instance reloaded)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bundle import ContentBundle, load_bundle
from bot.content.normalize import serve
from bot.i18n import Catalogs

if TYPE_CHECKING:
    from bot.storage.meta import MetaRepo

log = logging.getLogger(__name__)

GENERATION_KEY = "content_generation"


def load_catalogs(bundle: ContentBundle) -> Catalogs:
    """Compiled UI catalogs for every language the pack enables (refuses missing ones)."""
    pack = bundle.pack
    catalogs = Catalogs()
    catalogs.load(
        [
            (lang.code, lang.direction, tuple(pack.language_chain(lang.code)[1:]))
            for lang in pack.enabled_languages()
        ],
        source_language="en",
    )
    return catalogs


@dataclass(frozen=True)
class LoadedContent:
    """A pack as the bot serves it: the bundle and the UI catalogs of its languages.

    Read-only once built (a reload builds a new one), so one may serve several bots in a
    process: the test suite loads each state of a pack once per run (tests/content_cache.py)."""

    bundle: ContentBundle
    catalogs: Catalogs


def load_content(root: Path) -> LoadedContent:
    """Load, validate and index the pack at `root` and its catalogs (raises PackError)."""
    bundle = load_bundle(root)
    return LoadedContent(bundle, load_catalogs(bundle))


# How the pack at a folder is read: load_content, or (tests) a cache of what it returned.
ContentLoader = Callable[[Path], LoadedContent]


# Makes a loaded pack the one served: sets the bundle and catalogs everyone reads.
Publish = Callable[[ContentBundle, Catalogs], None]


class ContentService:
    """Swaps the pack and catalogs in whole; on errors (PackError) the old ones stay."""

    def __init__(
        self,
        root: Path,
        meta: MetaRepo,
        publish: Publish,
        load: ContentLoader = load_content,
        after_swap: Callable[[], None] | None = None,
    ) -> None:
        self._root = root
        self._after_swap = after_swap
        self._meta = meta
        self._publish = publish
        self._load = load
        self.generation = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Remember which generation this instance serves (what it loaded at start)."""
        self.generation = int(await self._meta.get(GENERATION_KEY) or 0)

    async def reload(self) -> ContentBundle:
        """Load again (in a thread), swap in, and tell the other instances."""
        async with self._lock:
            bundle = await self._swap()
            self.generation = await self._meta.bump(GENERATION_KEY)
        return bundle

    async def follow(self) -> bool:
        """Reload if another instance did since (a periodic job); True if it reloaded."""
        current = int(await self._meta.get(GENERATION_KEY) or 0)
        if current <= self.generation:
            return False
        async with self._lock:
            try:
                bundle = await self._swap()
            finally:
                self.generation = current  # a broken pack is not retried every few seconds
        log.info("content reloaded after another instance did: version %s", bundle.version)
        return True

    async def _swap(self) -> ContentBundle:
        loaded = await asyncio.to_thread(self._load, self._root)
        self._publish(loaded.bundle, loaded.catalogs)
        # Typed answers match with the served pack's text rules (bot.content.normalize).
        serve(loaded.bundle.pack.text_rules)
        if self._after_swap is not None:  # e.g. bot.heap.settle: the old pack is garbage now
            self._after_swap()
        return loaded.bundle
