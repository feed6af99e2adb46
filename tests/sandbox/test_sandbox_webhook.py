"""The emulator's webhook: setWebhook as strict as Telegram, deliveries as Telegram makes them
(POST with the secret header, one chat at a time in order, retried until 2xx)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from bot.sandbox import Emulator
from tests.narrow import present

SECRET = "s3cret-token_X"


@dataclass
class Receiver:
    """A stand-in for the bot's webhook: records requests, answers what it is told."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give first, then 200
    hold: float = 0.0  # seconds each request takes
    in_flight: int = 0
    peak: int = 0
    chats_in_flight: dict[Any, int] = field(default_factory=dict)
    chat_peak: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = (body.get("message") or {}).get("chat", {}).get("id")
        self.in_flight += 1
        self.chats_in_flight[chat] = self.chats_in_flight.get(chat, 0) + 1
        self.peak = max(self.peak, self.in_flight)
        self.chat_peak = max(self.chat_peak, self.chats_in_flight[chat])
        try:
            self.requests.append(
                {"headers": dict(request.headers), "body": body, "t": time.monotonic()}
            )
            if self.hold:
                await asyncio.sleep(self.hold)
            status = self.statuses.pop(0) if self.statuses else 200
            return web.Response(status=status)
        finally:
            self.in_flight -= 1
            self.chats_in_flight[chat] -= 1

    def texts(self) -> list[str]:
        return [r["body"]["message"]["text"] for r in self.requests if "message" in r["body"]]


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert isinstance(site._server, asyncio.Server)
    port = site._server.sockets[0].getsockname()[1]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(check: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# ----------------------------------------------------------------------------- setWebhook


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"url": "http://bot.example.org/hook"}, "HTTPS URL must be provided"),
        ({"url": "https://bot.example.org:8080/hook"}, "ports 80, 88, 443 or 8443"),
        ({"url": "not a url"}, "HTTPS URL must be provided"),
        (
            {"url": "https://bot.example.org/hook", "secret_token": "with space"},
            "unallowed characters",
        ),
        (
            {"url": "https://bot.example.org/hook", "secret_token": "x" * 257},
            "unallowed characters",
        ),
        ({"url": "https://bot.example.org/hook", "max_connections": 0}, "max_connections"),
        ({"url": "https://bot.example.org/hook", "max_connections": 101}, "max_connections"),
    ],
)
async def test_set_webhook_is_as_strict_as_telegram(
    emulator: Emulator, tg_bot: telegram.Bot, kwargs: dict[str, Any], says: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){says}"):  # PTB lower-cases the description
        await tg_bot.set_webhook(**kwargs)
    assert emulator.webhook is None


async def test_set_webhook_needs_a_url(emulator: Emulator) -> None:
    async with telegram.Bot(emulator.token, base_url=emulator.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)url is empty"):
            await bot.do_api_request("setWebhook", api_kwargs={"max_connections": 5})


async def test_webhook_info_and_removal(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    info = await tg_bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    url = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens: nothing is confirmed
    assert await tg_bot.set_webhook(
        url, secret_token=SECRET, max_connections=7, allowed_updates=["message", "callback_query"]
    )
    user = emulator.add_user("Aysel")
    await user.send("salam")
    await until(lambda: emulator.webhook_failures >= 1)
    info = await tg_bot.get_webhook_info()
    assert info.url == url and info.max_connections == 7 and info.pending_update_count == 1
    assert set(info.allowed_updates or ()) == {"message", "callback_query"}
    assert info.last_error_message == "Connection refused" and info.last_error_date is not None
    assert await tg_bot.set_webhook("")  # an empty url removes it, as on Telegram
    assert (await tg_bot.get_webhook_info()).url == "" and emulator.webhook is None
    # kept for polling
    assert [present(u.message).text for u in await tg_bot.get_updates()] == ["salam"]


async def test_get_updates_is_refused_while_a_webhook_is_set(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = emulator.add_user("Aysel")
    await user.send("one")
    await tg_bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook", secret_token=SECRET)
    with pytest.raises(
        Conflict,
        match="can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    ):
        await tg_bot.get_updates()
    assert await tg_bot.delete_webhook()
    assert [present(u.message).text for u in await tg_bot.get_updates()] == ["one"]


async def test_set_webhook_ends_a_waiting_long_poll(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    poll = asyncio.create_task(tg_bot.get_updates(timeout=5, read_timeout=10))
    await asyncio.sleep(0.2)
    async with telegram.Bot(emulator.token, base_url=emulator.base_url) as other:
        await other.set_webhook(f"http://127.0.0.1:{free_port()}/hook")
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await asyncio.wait_for(poll, 3)


async def test_drop_pending_updates_on_set_webhook(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    user = emulator.add_user("Aysel")
    await user.send("old")
    await tg_bot.set_webhook(receiver.url, drop_pending_updates=True)
    await user.send("new")
    await until(lambda: emulator.pending_updates == 0)
    assert receiver.texts() == ["new"]


# ----------------------------------------------------------------------------- delivery


async def test_each_update_is_posted_with_the_secret_and_confirmed_on_2xx(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    await tg_bot.set_webhook(receiver.url, secret_token=SECRET)
    user = emulator.add_user("Aysel")
    await user.send("salam")
    await until(lambda: emulator.pending_updates == 0)
    (request,) = receiver.requests
    assert request["headers"]["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["body"]["message"]["text"] == "salam" and request["body"]["update_id"] > 0
    assert emulator.webhook_deliveries == 1 and emulator.webhook_failures == 0
    assert emulator.is_idle(0.0)


async def test_no_secret_header_without_a_secret(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    await tg_bot.set_webhook(receiver.url)
    await emulator.add_user("Aysel").send("salam")
    await until(lambda: emulator.pending_updates == 0)
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.requests[0]["headers"]


async def test_refused_deliveries_are_retried_with_backoff_and_not_lost(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.statuses = [503, 500, 401]
    await tg_bot.set_webhook(receiver.url, secret_token=SECRET)
    user = emulator.add_user("Aysel")
    await user.send("first")
    await user.send("second")
    await until(lambda: emulator.pending_updates == 2 and emulator.webhook_failures == 1)
    assert not emulator.is_idle(0.0)  # a refused update keeps the emulator busy
    await until(lambda: emulator.pending_updates == 0)
    # "second" waited behind "first" (one chat, in order), and "first" was sent four times.
    assert receiver.texts() == ["first"] * 4 + ["second"]
    assert emulator.webhook_failures == 3 and emulator.webhook_deliveries == 2
    gaps = [
        b["t"] - a["t"] for a, b in zip(receiver.requests, receiver.requests[1:4], strict=False)
    ]
    base = emulator.webhook_retry_base
    assert gaps[0] >= base * 0.9 and gaps[1] >= 2 * base * 0.9 and gaps[2] >= 4 * base * 0.9, gaps
    assert [e["status"] for e in emulator.webhook_log] == [503, 500, 401, 200, 200]


async def test_chats_are_delivered_in_order_each_and_concurrently_up_to_max_connections(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.hold = 0.1
    await tg_bot.set_webhook(receiver.url, max_connections=3)
    people = [emulator.add_user(f"P{i}") for i in range(5)]
    for person in people:  # each chat's updates next to each other in the queue
        for n in range(3):
            await person.send(f"{person.user_id}:{n}")
    await until(lambda: emulator.pending_updates == 0, timeout=10)
    assert receiver.peak == 3 and emulator.webhook_peak_in_flight == 3
    assert receiver.chat_peak == 1  # never two of one chat at once
    for person in people:
        mine = [t for t in receiver.texts() if t.startswith(f"{person.user_id}:")]
        assert mine == [f"{person.user_id}:{n}" for n in range(3)]


async def test_max_connections_one_is_one_at_a_time(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.hold = 0.05
    await tg_bot.set_webhook(receiver.url, max_connections=1)
    for i in range(4):
        await emulator.add_user(f"P{i}").send("hi")
    await until(lambda: emulator.pending_updates == 0)
    assert receiver.peak == 1 and len(receiver.requests) == 4


async def test_delete_webhook_stops_deliveries_and_polling_gets_the_rest(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.statuses = [503] * 100
    await tg_bot.set_webhook(receiver.url)
    user = emulator.add_user("Aysel")
    await user.send("stuck")
    await until(lambda: emulator.webhook_failures >= 1)
    await tg_bot.delete_webhook()
    attempts = len(receiver.requests)
    await asyncio.sleep(emulator.webhook_retry_base * 3)
    assert len(receiver.requests) == attempts  # no more posts
    assert [present(u.message).text for u in await tg_bot.get_updates()] == ["stuck"]


async def test_wait_idle_waits_for_webhook_confirmation(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.hold = 0.3
    await tg_bot.set_webhook(receiver.url)
    await emulator.add_user("Aysel").send("hi")
    started = time.monotonic()
    await emulator.wait_idle(quiet=0.05, timeout=3)
    assert emulator.pending_updates == 0 and time.monotonic() - started >= 0.25


async def test_a_body_is_the_update_as_json(
    emulator: Emulator, tg_bot: telegram.Bot, receiver: Receiver
) -> None:
    await tg_bot.set_webhook(receiver.url)
    user = emulator.add_user("Aysel")
    message = emulator.chats[user.user_id].messages[await user.send("/start")]
    await until(lambda: emulator.pending_updates == 0)
    body = receiver.requests[0]["body"]
    assert json.loads(json.dumps(body))["message"] == emulator.message_json(message)
