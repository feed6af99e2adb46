"""The outbox sender reads "what is due" while its own sends finish: a read that began before
a send was recorded must not send that message a second time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.delivery.limits import FloodLimits
from bot.delivery.outbox_worker import OutboxWorker
from bot.storage import open_store
from bot.storage.outbox import OutboxItem, OutboxRepo


class SlowDue(OutboxRepo):
    """The store's outbox, but `due` answers late when asked to: what it read was true when
    it began, and the send it saw may have finished meanwhile."""

    def __init__(self, real: OutboxRepo) -> None:
        super().__init__(real.db)
        self.hold: asyncio.Event | None = None
        self.reading = asyncio.Event()

    async def due(self, now: datetime, limit: int = 200) -> list[OutboxItem]:
        items = await super().due(now, limit)
        if self.hold is not None and items:
            self.reading.set()
            await self.hold.wait()
        return items


class GatedBot:
    """Each chat's send waits for its own gate."""

    def __init__(self) -> None:
        self.gates = {1: asyncio.Event(), 2: asyncio.Event()}
        self.sent: list[dict[str, Any]] = []

    async def do_api_request(self, method: str, api_kwargs: dict[str, Any]) -> Any:
        await self.gates[api_kwargs["chat_id"]].wait()
        self.sent.append(api_kwargs)
        return {"message_id": len(self.sent)}


async def test_a_message_sent_during_a_read_is_not_sent_again(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "o.db")
    try:
        async with store.transaction() as uow:
            await uow.outbox.enqueue(
                chat_id=1,
                method="sendMessage",
                params={"chat_id": 1, "text": "a"},
                now=datetime.now(UTC),
            )
            await uow.outbox.enqueue(
                chat_id=2,
                method="sendMessage",
                params={"chat_id": 2, "text": "b"},
                now=datetime.now(UTC),
            )
        repo = SlowDue(store.outbox)
        bot = GatedBot()
        # GatedBot is a duck-typed stand-in for telegram.Bot.
        worker = OutboxWorker(
            bot,  # type: ignore[arg-type]
            repo,
            SystemClock(),
            limits=FloodLimits(
                overall_per_second=10_000, chat_per_second=0, group_per_minute=10_000
            ),
        )
        runner = asyncio.create_task(worker.run())
        for _ in range(200):  # both sends started, waiting at the gate
            if len(worker._in_flight) == 2:
                break
            await asyncio.sleep(0.01)
        repo.hold = asyncio.Event()
        bot.gates[1].set()  # chat 1's send finishes: the loop reads again, sees "b" due...
        await asyncio.wait_for(repo.reading.wait(), 5)
        bot.gates[2].set()  # ...and "b" is sent and recorded while that read is held
        for _ in range(200):
            if await store.outbox.counts() == {"sent": 2}:
                break
            await asyncio.sleep(0.01)
        repo.hold.set()
        await asyncio.sleep(0.3)
        worker.stop()
        await runner
        assert sorted(m["text"] for m in bot.sent) == ["a", "b"]
    finally:
        await store.close()
