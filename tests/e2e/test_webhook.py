"""Webhook mode end to end: the emulator POSTs updates to the real bot, which stores each one
before it answers 200; strangers, garbage and a failing store change nothing that matters."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.delivery.poller import ALLOWED_UPDATES
from bot.delivery.webhook import SECRET_HEADER
from bot.sandbox import Emulator
from bot.storage import errors
from bot.storage.errors import StorageError
from tests.e2e.flows_helpers import has_data, onboard, open_request, person_said
from tests.e2e.harness import WEBHOOK_SECRET, Harness, HarnessFactory, free_port
from tests.e2e.test_startup_errors import SECRET as TOKEN_SECRET
from tests.e2e.test_startup_errors import one_clean_line, run_bot
from tests.faults.botproc import BotProcess, bot_env


async def post(h: Harness, body: bytes, secret: str | None = WEBHOOK_SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(h.webhook_url, data=body, headers=headers) as resp,
    ):
        return resp.status


async def healthz(h: Harness) -> tuple[int, dict[str, Any]]:
    url = h.webhook_url.rsplit("/", 2)[0] + "/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.json()


def calls(h: Harness, method: str) -> list[dict[str, Any]]:
    return [c["params"] for c in h.emu.sent_log if c["method"] == method]


async def until(check: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_person_and_a_caseworker_talk_through_the_webhook(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory(webhook=True)
    (hook,) = calls(h, "setWebhook")
    assert hook == {
        "url": h.webhook_url,
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": list(ALLOWED_UPDATES),
        "max_connections": 40,
    }
    assert calls(h, "deleteWebhook") == []
    person = h.person("Leyla", "en")
    await onboard(person)
    case_id = await open_request(person, "My passport was stolen")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    assert any(person_said(m) == "My passport was stolen" for m in h.staff.messages(thread))
    aysel = h.caseworkers[0]
    card = await h.staff.wait_for(
        lambda m: f"#{case_id}" in m.text and bool(m.buttons), thread_id=thread
    )
    await aysel.press_in(h.staff, "Claim", card)
    await aysel.send_in(h.staff, "Bring your ID, please", thread_id=thread)
    reply = await person.wait_for("Bring your ID, please")
    assert f"#{case_id}" in reply.text
    await person.send("Thank you")
    await h.staff.wait_for("Thank you", thread_id=thread)
    await h.settle()
    assert h.emu.calls["getUpdates"] == 0  # every update came by webhook
    assert h.emu.webhook_deliveries >= 10 and h.emu.webhook_failures == 0
    assert h.emu.pending_updates == 0
    assert (await h.services.inbox.counts()).get("pending", 0) == 0


async def test_many_people_at_once_each_answered_once(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(webhook=True)
    people = [h.person(f"P{i}", "en") for i in range(25)]
    for person in people:
        await person.send("/start")
    for person in people:
        await person.wait_for(has_data("l:"), timeout=15)
    await h.settle()
    assert all(len(p.messages()) == 1 for p in people)
    assert h.runtime is not None and h.runtime.webhook is not None
    stats = h.runtime.webhook.stats
    assert stats.stored == 25 and stats.commits <= 25


@pytest.mark.parametrize(
    "secret", [None, "", "wrong-secret", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "0"]
)
async def test_a_wrong_or_missing_secret_is_401_and_nothing_is_stored(
    harness_factory: HarnessFactory, secret: str | None
) -> None:
    h = await harness_factory(webhook=True)
    person = h.person("Leyla", "en")
    person.user.started = True  # this update is made here, not by the emulator
    update = {
        "update_id": 123,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "text": "/start",
            "chat": {"id": person.user_id, "type": "private", "first_name": "Leyla"},
            "from": {"id": person.user_id, "is_bot": False, "first_name": "Leyla"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    assert await post(h, json.dumps(update).encode(), secret) == 401
    await asyncio.sleep(0.3)
    assert await h.services.inbox.status(123) is None
    assert await h.services.inbox.counts() == {}
    assert person.messages() == []
    # The same update with the secret is served: the refusal was the secret's, not the body's.
    assert await post(h, json.dumps(update).encode()) == 200
    await person.wait_for(has_data("l:"))


async def test_an_oversized_body_is_413(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(webhook=True)
    body = json.dumps({"update_id": 5, "message": {"text": "x" * (2 * 1024 * 1024)}}).encode()
    assert await post(h, body) == 413
    assert await h.services.inbox.counts() == {}


async def test_garbage_is_400_and_the_bot_goes_on(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(webhook=True)
    for body in (b"", b"{", b"\x00\xff", b"[]", b'{"update_id": "x"}', b'{"ok": true}'):
        assert await post(h, body) == 400, body
    assert await h.services.inbox.counts() == {}
    person = h.person("Leyla", "en")
    await person.send("/start")
    await person.wait_for(has_data("l:"))
    assert h.runtime is not None and h.runtime.webhook is not None
    assert h.runtime.webhook.stats.bad_body == 6


@pytest.mark.parametrize(
    "error",
    [
        StorageError("the disk holding bot.db is full"),
        StorageError("the database bot.db is locked", errors.LOCKED),
    ],
)
async def test_a_failing_store_is_503_then_the_update_is_redelivered_and_handled_once(
    harness_factory: HarnessFactory, error: Exception
) -> None:
    h = await harness_factory(webhook=True)
    assert h.runtime is not None
    server = h.runtime.webhook
    assert server is not None
    store = server.store_updates
    failures = [0]

    async def failing(updates: list[dict[str, Any]]) -> object:
        if failures[0] < 2:
            failures[0] += 1
            raise error
        return await store(updates)

    server.store_updates = failing
    person = h.person("Leyla", "en")
    await person.send("/start")
    greeting = await person.wait_for(has_data("l:"))
    await h.settle()
    assert [e["status"] for e in h.emu.webhook_log] == [503, 503, 200]
    assert [m.message_id for m in person.messages()] == [greeting.message_id]  # handled once
    assert (await h.services.inbox.counts()) == {"done": 1}


async def test_an_update_stored_but_not_confirmed_is_handled_once(
    harness_factory: HarnessFactory,
) -> None:
    """The commit succeeded but Telegram never heard 200 (here: 503 after storing): Telegram
    sends it again, and the inbox knows it."""
    h = await harness_factory(webhook=True)
    assert h.runtime is not None
    server = h.runtime.webhook
    assert server is not None
    store = server.store_updates
    lost = [True]

    async def answer_lost(updates: list[dict[str, Any]]) -> object:
        result = await store(updates)
        if lost[0]:
            lost[0] = False
            raise StorageError("the answer was lost")
        return result

    server.store_updates = answer_lost
    person = h.person("Leyla", "en")
    await person.send("/start")
    await person.wait_for(has_data("l:"))
    await h.settle()
    await asyncio.sleep(0.3)
    assert [e["status"] for e in h.emu.webhook_log] == [503, 200]
    assert len(person.messages()) == 1
    assert (await h.services.inbox.counts()) == {"done": 1}


async def test_healthz_reports_the_store_and_the_inbox_lag(
    harness_factory: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await harness_factory(webhook=True)
    assert await healthz(h) == (
        200,
        {"store": "ok", "inbox_pending": 0, "oldest_pending_seconds": 0.0},
    )
    runtime = h.runtime
    assert runtime is not None and runtime.dispatcher is not None
    gate = asyncio.Event()
    process = runtime.dispatcher._process

    async def held(row: Any) -> None:
        await gate.wait()
        await process(row)

    runtime.dispatcher._process = held
    person = h.person("Leyla", "en")
    await person.send("/start")
    await until(lambda: h.emu.pending_updates == 0)  # stored and confirmed, not handled
    await asyncio.sleep(0.5)
    status, body = await healthz(h)
    assert status == 200 and body["store"] == "ok" and body["inbox_pending"] == 1
    assert 0.5 <= body["oldest_pending_seconds"] < 5
    gate.set()
    await person.wait_for(has_data("l:"))
    await h.settle()
    assert await healthz(h) == (
        200,
        {"store": "ok", "inbox_pending": 0, "oldest_pending_seconds": 0.0},
    )

    async def unreachable(*_args: object) -> tuple[int, float]:
        raise StorageError("cannot open the database bot.db", errors.UNAVAILABLE)

    monkeypatch.setattr(h.services.inbox, "pending_lag", unreachable)
    assert await healthz(h) == (503, {"store": "unavailable"})


async def test_polling_to_webhook_to_polling(harness_factory: HarnessFactory) -> None:
    h = await harness_factory()
    assert calls(h, "deleteWebhook") == [{"drop_pending_updates": False}]
    assert calls(h, "setWebhook") == []
    person = h.person("Leyla", "en")
    await person.send("/start")
    await person.wait_for(has_data("l:"))
    await h.stop()

    h.webhook_port = free_port()
    await h.start()
    assert [c["url"] for c in calls(h, "setWebhook")] == [h.webhook_url]
    assert h.emu.webhook is not None and h.emu.webhook.secret_token == WEBHOOK_SECRET
    polls = h.emu.calls["getUpdates"]
    await person.press("English")
    await person.wait_for(has_data("a:"))
    assert h.emu.webhook_deliveries == 1 and h.emu.calls["getUpdates"] == polls
    await h.stop()
    assert h.emu.webhook is not None  # a stopped bot keeps its webhook: Telegram holds updates

    await person.press_data("a:-", person.last().message_id)  # while no bot listens
    await until(lambda: h.emu.webhook_failures >= 1)
    h.webhook_port = None
    await h.start()
    assert len(calls(h, "deleteWebhook")) == 2 and h.emu.webhook is None
    await person.wait_for(has_data("e:"))  # the press made while the bot was away
    await person.send("/help")
    await person.wait_for(lambda m: "/start" in m.text or bool(m.buttons))
    assert h.emu.calls["getUpdates"] > polls


async def test_run_in_webhook_mode_as_a_process_answers_start(tmp_path: Path) -> None:
    async with Emulator(rate_limits=False) as emu:
        port = free_port()
        env = bot_env(
            token=emu.token,
            api_url=emu.base_url,
            db_path=tmp_path / "bot.db",
            staff_chat_id=None,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            WEBHOOK_LISTEN=f"127.0.0.1:{port}",
            WEBHOOK_SECRET="process-secret",
            WEBHOOK_MAX_CONNECTIONS="5",
            LOG_LEVEL="INFO",
        )
        proc = BotProcess(env, tmp_path, fast=False)
        proc.start()
        try:
            await until(lambda: emu.webhook is not None or not proc.alive(), timeout=30)
            assert proc.alive(), proc.logs()
            assert emu.webhook is not None and emu.webhook.max_connections == 5
            person = emu.add_user("Leyla", language_code="en")
            await person.send("/start")
            await person.wait_for(has_data("l:"), timeout=15)
            assert emu.calls["getUpdates"] == 0 and emu.webhook_deliveries == 1
            assert await proc.terminate() == 0
        finally:
            proc.stop_quietly()
        logs = proc.logs()
        assert "webhook mode" in logs and "process-secret" not in logs and "Traceback" not in logs


async def test_a_taken_listen_port_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with Emulator() as emu:
            staff = emu.add_group("Caseworkers")
            code, err = await run_bot(
                {
                    "BOT_TOKEN": emu.token,
                    "BOT_API_URL": emu.base_url,
                    "STAFF_CHAT_ID": str(staff.chat_id),
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
                    "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                    "WEBHOOK_SECRET": "s",
                },
                tmp_path,
            )
            assert emu.webhook is None  # Telegram is told nothing until the bot listens
    assert code != 0
    assert "WEBHOOK_LISTEN" in one_clean_line(err)
    assert TOKEN_SECRET not in err


async def test_a_refused_webhook_url_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    port = free_port()
    async with Emulator() as emu:
        emu.faults.add("setWebhook", kind="400")  # as Telegram refuses a URL it cannot reach
        staff = emu.add_group("Caseworkers")
        code, err = await run_bot(
            {
                "BOT_TOKEN": emu.token,
                "BOT_API_URL": emu.base_url,
                "STAFF_CHAT_ID": str(staff.chat_id),
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "WEBHOOK_SECRET": "s",
            },
            tmp_path,
        )
    assert code == 5
    line = one_clean_line(err)
    assert "setWebhook refused WEBHOOK_URL" in line and "refused (injected)" in line.lower()


async def test_a_database_the_dispatcher_cannot_write_stops_the_bot_in_webhook_mode(
    harness_factory: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await harness_factory(webhook=True)

    async def read_only(*_args: object) -> None:
        raise StorageError(
            "the database bot.db is read-only: give the bot's user write access", errors.READ_ONLY
        )

    monkeypatch.setattr(h.services.inbox, "mark_done", read_only)
    runtime = h.runtime
    assert runtime is not None
    await h.person("Leyla", "en").send("/start")
    with pytest.raises(StorageError, match="read-only"):
        await asyncio.wait_for(runtime.wait(), timeout=10)
    # Until the process is gone, new updates are refused (Telegram keeps them), never lost.
    body = json.dumps(
        {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "x",
                "chat": {"id": 1, "type": "private"},
            },
        }
    )
    assert await post(h, body.encode()) == 503
