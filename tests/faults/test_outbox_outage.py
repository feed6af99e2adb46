"""A long network outage: the outbox keeps a caseworker's reply until Telegram is back,
instead of giving up after a dozen quick retries (~17 minutes) and dropping it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram.error import NetworkError

from bot.clock import FakeClock
from bot.delivery.limits import FloodLimits
from bot.delivery.outbox_worker import OutboxWorker
from bot.storage import open_store


class FlakyBot:
    """do_api_request fails with NetworkError while `down`, then succeeds."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0
        self.delivered: list[dict[str, Any]] = []

    async def do_api_request(self, method: str, api_kwargs: dict[str, Any]) -> Any:
        self.calls += 1
        if self.down:
            raise NetworkError("httpx.ConnectError: network is unreachable")
        self.delivered.append(api_kwargs)
        return {"message_id": len(self.delivered)}


async def test_a_reply_survives_a_twelve_hour_outage(tmp_path: Path) -> None:
    db = await open_store(tmp_path / "bot.db")
    try:
        repo = db.outbox
        clock = FakeClock(datetime.now(UTC))
        async with db.transaction() as uow:
            await uow.outbox.enqueue(
                chat_id=42,
                method="sendMessage",
                params={"chat_id": 42, "text": "reply"},
                now=clock.now(),
                kind="to_person",
            )
        bot = FlakyBot()
        # FlakyBot is a duck-typed stand-in for telegram.Bot.
        worker = OutboxWorker(
            bot,  # type: ignore[arg-type]
            repo,
            clock,
            limits=FloodLimits(
                overall_per_second=10_000, chat_per_second=0, group_per_minute=10_000
            ),
        )
        while (clock.now() - datetime.now(UTC)).total_seconds() < 12 * 3600:
            await worker.run_once()
            clock.advance(seconds=751)  # past the longest backoff (10 min + 25% jitter)
        assert bot.calls > 12
        assert await repo.counts() == {"pending": 1}, "the reply was dropped during the outage"
        bot.down = False
        clock.advance(seconds=751)
        await worker.run_once()
        assert bot.delivered == [{"chat_id": 42, "text": "reply"}]
        assert await repo.counts() == {"sent": 1}
    finally:
        await db.close()
