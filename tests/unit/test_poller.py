"""The poller on its own: a scripted getUpdates, a recording accept step, no emulator.

What it promises: an update is confirmed to Telegram (by the next call's offset) only once
it is stored; a locked database fetches the same updates again; garbage in a batch is
skipped; a broken dispatcher stops it with the storage error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.delivery.poller import ALLOWED_UPDATES, UpdatePoller
from bot.storage.errors import LOCKED, READ_ONLY, StorageError
from bot.storage.inbox import InboxRow


class FakeBot:
    """getUpdates answers from a script; the offsets it was asked for are kept."""

    def __init__(self, poller_ref: list[UpdatePoller], batches: list[list[Any]]) -> None:
        self.batches = batches
        self.offsets: list[int] = []
        self.kwargs: list[dict[str, Any]] = []
        self._poller = poller_ref

    async def do_api_request(self, method: str, api_kwargs: dict[str, Any], **_: Any) -> Any:
        assert method == "getUpdates"
        self.offsets.append(int(api_kwargs["offset"]))
        self.kwargs.append(api_kwargs)
        if not self.batches:
            self._poller[0].stop()
            return []
        return self.batches.pop(0)


class FakeInbox:
    def __init__(self, stored_up_to: int = 0) -> None:
        self.offset = stored_up_to

    async def next_offset(self) -> int:
        return self.offset


class FakeDispatcher:
    def __init__(self) -> None:
        self.pending = 0
        self.fatal: BaseException | None = None
        self.broken = asyncio.Event()


def _poller(
    batches: list[list[Any]], accept: Any, stored_up_to: int = 0
) -> tuple[UpdatePoller, FakeBot]:
    ref: list[UpdatePoller] = []
    bot = FakeBot(ref, batches)
    # Duck-typed fakes stand in for the Bot, the inbox repository and the dispatcher.
    poller = UpdatePoller(bot, FakeInbox(stored_up_to), FakeDispatcher(), accept, timeout=1)  # type: ignore[arg-type]
    ref.append(poller)
    return poller, bot


def _u(uid: int) -> dict[str, Any]:
    return {"update_id": uid, "message": {"text": "hi"}}


async def test_the_offset_confirms_only_what_was_stored() -> None:
    stored: list[list[int]] = []

    async def accept(updates: list[dict[str, Any]]) -> list[InboxRow]:
        stored.append([u["update_id"] for u in updates])
        return [InboxRow(u["update_id"], "c", "{}") for u in updates]

    poller, bot = _poller([[_u(10), _u(11)], [_u(12)]], accept, stored_up_to=10)
    await asyncio.wait_for(poller.run(), 5)
    assert bot.offsets == [10, 12, 13]  # from the inbox, then past each stored batch
    assert stored == [[10, 11], [12]]
    assert poller.fetched == 3
    assert bot.kwargs[0]["allowed_updates"] == list(ALLOWED_UPDATES)


async def test_a_locked_database_fetches_the_same_updates_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0

    async def accept(updates: list[dict[str, Any]]) -> list[InboxRow]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StorageError("database is locked", LOCKED)
        return [InboxRow(u["update_id"], "c", "{}") for u in updates]

    poller, bot = _poller([[_u(5)], [_u(5)]], accept)

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(poller, "_sleep", no_wait)
    await asyncio.wait_for(poller.run(), 5)
    assert bot.offsets == [0, 0, 6]  # not confirmed while it was not stored
    assert calls == 2


async def test_garbage_in_a_batch_is_skipped_and_a_fatal_store_stops_the_poller() -> None:
    seen: list[int] = []

    async def accept(updates: list[dict[str, Any]]) -> list[InboxRow]:
        seen.extend(u["update_id"] for u in updates)
        if 9 in seen:
            raise StorageError("attempt to write a readonly database", READ_ONLY)
        return [InboxRow(u["update_id"], "c", "{}") for u in updates]

    poller, bot = _poller([["junk", {"no": "id"}, _u(7)], [_u(9)]], accept)
    with pytest.raises(StorageError) as raised:
        await asyncio.wait_for(poller.run(), 5)
    assert raised.value.kind == READ_ONLY
    assert seen == [7, 9]
    assert bot.offsets == [0, 8]  # 9 was never confirmed
