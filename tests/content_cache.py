"""The content pack, loaded and indexed once per test run and shared by every bot started.

Parsing and indexing the pack takes most of a bot's start (~1-2 s on a busy machine), and the
e2e and fault tests start hundreds of bots. A pack is cached under the size and change
time of every file under its folder and of the compiled catalogs, so a test that edits a
copy of the pack and starts a bot on it gets that copy loaded afresh; a broken pack raises as before (nothing is
cached). Reloads (/reload, SIGHUP) never come from here: they read the disk as in production.

The shared bundle is read-only by contract (LoadedContent); `assert_unchanged` (run at the
end of the session) proves no test or bot code mutated one.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from bot.content.service import LoadedContent, load_content
from bot.i18n import LOCALES_DIR


def _signature(*folders: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file's path, size and change time (a bot start takes far longer than the
    clock's tick, so an edit between two starts always shows here)."""
    out: list[tuple[str, int, int]] = []
    for folder in folders:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(dirpath, name)
                st = os.stat(path)
                out.append((path, st.st_size, max(st.st_mtime_ns, st.st_ctime_ns)))
    return tuple(sorted(out))


def _state(loaded: LoadedContent) -> bytes:
    """What a test could mutate in a bundle, serialised (the search index is read-only SQL)."""
    b = loaded.bundle
    return pickle.dumps((b.pack, b.flows, b.routing, b.replies, b.intents))


@dataclass
class _Entry:
    loaded: LoadedContent
    state: bytes


class ContentCache:
    """Loaded packs by content digest; `get` is what a test hands to BotRuntime(content=...)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Path, tuple[tuple[str, int, int], ...]], _Entry] = {}
        self.loads = 0
        self.hits = 0

    def get(self, root: Path) -> LoadedContent:
        root = Path(root).resolve()
        key = (root, _signature(root, LOCALES_DIR))
        entry = self._entries.get(key)
        if entry is None:
            loaded = load_content(root)  # PackError propagates; nothing is cached
            entry = self._entries[key] = _Entry(loaded, _state(loaded))
            self.loads += 1
        else:
            self.hits += 1
        return entry.loaded

    def assert_unchanged(self) -> None:
        """Fail if a shared bundle was mutated by a test or by the bot."""
        changed = [str(root) for (root, _), e in self._entries.items() if _state(e.loaded) != e.state]
        assert not changed, f"a shared content bundle was mutated during the run: {changed}"


CACHE = ContentCache()
