"""The content pack, loaded and indexed once per test run and shared by every bot started.

Parsing and indexing the pack takes most of a bot's start (~1-2 s on a busy machine), and the
e2e and fault tests start hundreds of bots. A pack is cached under the size and change
time of every file under its folder and of the compiled catalogs, so a test that edits a
copy of the pack and starts a bot on it (or reloads) gets that copy loaded afresh; a broken
pack raises as before (nothing is cached). Bots use it for starts and reloads
(BotRuntime.content_loader): a reload of an unchanged folder gets the same bundle, as reading
it again would give.

The shared bundle is read-only by contract (LoadedContent); `assert_unchanged` (run at the
end of the session) proves no test or bot code mutated one.

Bots started as child processes by the fault tests (tests/faults/botproc.py) get the same
bundle as a pickle file (`pickled`; ~0.4 s to read instead of ~2.5 s to build), checked
against the folder's state at the child's start and ignored if that differs.
"""

from __future__ import annotations

import atexit
import copyreg
import gc
import os
import pickle
import shutil
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bundle import ContentBundle
from bot.bundle.service import LoadedContent, load_catalogs, load_content
from bot.content.search import SearchIndex
from bot.i18n import LOCALES_DIR

Signature = tuple[tuple[str, int, int], ...]
# The environment variable naming the pickle a child bot reads its pack from.
PICKLE_ENV = "HELPDESK_TEST_CONTENT_PICKLE"


def _signature(*folders: Path) -> Signature:
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
    """Loaded packs by folder state; `get` is a BotRuntime.content_loader."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Path, Signature], _Entry] = {}
        self._pickles: dict[tuple[Path, Signature], Path] = {}
        self._folder: Path | None = None
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

    def pickled(self, root: Path) -> Path:
        """A file holding the pack at `root` (and the state it was loaded from) for a child."""
        root = Path(root).resolve()
        key = (root, _signature(root, LOCALES_DIR))
        path = self._pickles.get(key)
        if path is None:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="helpdesk-content-"))
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
            path = self._folder / f"pack{len(self._pickles)}.pickle"
            bundle = self.get(root).bundle
            path.write_bytes(
                pickle.dumps((str(root), key[1], bundle), protocol=pickle.HIGHEST_PROTOCOL)
            )
            self._pickles[key] = path
        return path

    def assert_unchanged(self) -> None:
        """Fail if a shared bundle was mutated by a test or by the bot."""
        changed = [
            str(root) for (root, _), e in self._entries.items() if _state(e.loaded) != e.state
        ]
        assert not changed, f"a shared content bundle was mutated during the run: {changed}"


CACHE = ContentCache()


def load_pickled(path: Path, root: Path) -> LoadedContent | None:
    """In a child bot: the pack pickled by the parent, if it is the pack at `root` as it is
    now (else None: the child loads it itself)."""
    root = Path(root).resolve()
    gc.disable()  # millions of small objects: the collector would run through them many times
    try:
        saved_root, signature, bundle = pickle.loads(path.read_bytes())
    finally:
        gc.enable()
    if saved_root != str(root) or signature != _signature(root, LOCALES_DIR):
        return None
    assert isinstance(bundle, ContentBundle)
    return LoadedContent(bundle, load_catalogs(bundle))


# The search index lives in an in-memory SQLite database: pickled as that database's bytes.
def _rebuild_index(state: dict[str, Any], data: bytes) -> SearchIndex:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.deserialize(data)
    index = SearchIndex.__new__(SearchIndex)
    index.__dict__.update(state)
    index._conn = conn
    index._lock = threading.Lock()
    return index


def _reduce_index(index: SearchIndex) -> tuple[Any, ...]:
    state = {k: v for k, v in index.__dict__.items() if k not in ("_conn", "_lock")}
    return _rebuild_index, (state, index._conn.serialize())


copyreg.pickle(SearchIndex, _reduce_index)
