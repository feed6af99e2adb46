"""The webhook ingress on its own: what each kind of request is answered, and when the store
is called (only for an authenticated, well-formed update; 200 only after it returned)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.delivery.webhook import SECRET_HEADER, InboxHealth, Unavailable, WebhookServer
from bot.storage import errors
from bot.storage.errors import StorageError

SECRET = "right-secret_123"
UPDATE = {
    "update_id": 5,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 7, "type": "private"},
        "text": "private words",
    },
}


class Store:
    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail: list[BaseException] = []
        self.delay = 0.0
        self.health_error: BaseException | None = None

    async def store(self, updates: list[dict[str, Any]]) -> None:
        self.calls.append(list(updates))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise self.fail.pop(0)

    async def health(self) -> InboxHealth:
        if self.health_error is not None:
            raise self.health_error
        return InboxHealth(3, 1.23456)


@pytest_asyncio.fixture
async def store() -> Store:
    return Store()


@pytest_asyncio.fixture
async def server(store: Store) -> WebhookServer:
    return WebhookServer("/hook/path", SECRET, store.store, store.health, max_body=64 * 1024)


@pytest_asyncio.fixture
async def client(server: WebhookServer) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(server.application())) as test_client:
        yield test_client


def headers(secret: str | None = SECRET) -> dict[str, str]:
    return {SECRET_HEADER: secret} if secret is not None else {}


async def test_an_update_is_stored_before_200(client: TestClient[Any, Any], store: Store) -> None:
    resp = await client.post("/hook/path", json=UPDATE, headers=headers())
    assert resp.status == 200 and await resp.text() == ""
    assert store.calls == [[UPDATE]]


@pytest.mark.parametrize(
    "secret", [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper(), "ü" * 4]
)
async def test_a_wrong_or_missing_secret_is_401_and_nothing_is_stored(
    client: TestClient[Any, Any], store: Store, secret: str | None
) -> None:
    resp = await client.post("/hook/path", json=UPDATE, headers=headers(secret))
    assert resp.status == 401
    assert store.calls == []


async def test_a_wrong_secret_is_answered_without_reading_the_body(
    client: TestClient[Any, Any], store: Store
) -> None:
    async def endless() -> AsyncIterator[bytes]:
        yield b'{"update_id": 1,'
        await asyncio.sleep(30)  # the rest never comes
        yield b"}"

    resp = await asyncio.wait_for(
        client.post("/hook/path", data=endless(), headers=headers("wrong")), timeout=3
    )
    assert resp.status == 401 and store.calls == []


async def test_only_post_on_the_path(client: TestClient[Any, Any], store: Store) -> None:
    assert (await client.get("/hook/path", headers=headers())).status == 405
    assert (await client.post("/other", json=UPDATE, headers=headers())).status == 404
    assert store.calls == []


async def test_a_body_over_the_limit_is_413(client: TestClient[Any, Any], store: Store) -> None:
    big = json.dumps({**UPDATE, "pad": "x" * 100_000}).encode()
    resp = await client.post("/hook/path", data=big, headers=headers())
    assert resp.status == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: cut off while reading
        for _ in range(100):
            yield b" " * 1024

    resp = await client.post("/hook/path", data=chunked(), headers=headers())
    assert resp.status == 413
    assert store.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b"null",
        b'"text"',
        b'{"message": {}}',
        b'{"update_id": "5"}',
        b'{"update_id": true}',
        b'{"update_id": -1}',
        b'{"update_id": 1.5}',
        b"[" * 30_000 + b"]" * 30_000,
    ],
)
async def test_a_body_that_is_not_an_update_is_400_never_5xx(
    client: TestClient[Any, Any], store: Store, body: bytes
) -> None:
    resp = await client.post("/hook/path", data=body, headers=headers())
    assert resp.status == 400
    assert store.calls == []


@pytest.mark.parametrize(
    "error",
    [
        StorageError("the disk holding bot.db is full"),
        StorageError("the database bot.db is locked by another process", errors.LOCKED),
        StorageError("cannot write the database bot.db (disk I/O error)", errors.DAMAGED),
        Unavailable("20000 updates wait to be handled"),
    ],
)
async def test_a_store_that_cannot_take_it_is_503_so_telegram_retries(
    client: TestClient[Any, Any], store: Store, error: BaseException
) -> None:
    store.fail = [error]
    resp = await client.post("/hook/path", json=UPDATE, headers=headers())
    assert resp.status == 503
    resp = await client.post("/hook/path", json=UPDATE, headers=headers())  # Telegram's retry
    assert resp.status == 200 and len(store.calls) == 2


async def test_a_bug_in_the_store_is_500_and_the_log_has_no_text(
    client: TestClient[Any, Any], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.fail = [KeyError("private words")]
    resp = await client.post("/hook/path", json=UPDATE, headers=headers())
    assert resp.status == 500
    assert "private words" not in caplog.text and "KeyError" in caplog.text


async def test_nothing_people_wrote_reaches_the_log(
    client: TestClient[Any, Any], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.fail = [StorageError("the disk is full")]
    for secret in ("wrong", SECRET, SECRET):
        await client.post("/hook/path", json=UPDATE, headers=headers(secret))
    await client.post("/hook/path", data=b'{"private words": 1}', headers=headers())
    assert caplog.records and "private words" not in caplog.text and SECRET not in caplog.text


async def test_concurrent_requests_share_commits(
    client: TestClient[Any, Any], store: Store, server: WebhookServer
) -> None:
    store.delay = 0.05
    updates = [{**UPDATE, "update_id": i} for i in range(20)]
    answers = await asyncio.gather(
        *(client.post("/hook/path", json=u, headers=headers()) for u in updates)
    )
    assert [a.status for a in answers] == [200] * 20
    stored = [u["update_id"] for call in store.calls for u in call]
    assert sorted(stored) == list(range(20))
    assert len(store.calls) < 20  # group commit: later arrivals joined one commit
    assert server.stats.stored == 20 and server.stats.commits == len(store.calls)


async def test_a_failed_group_commit_fails_every_request_in_it(
    client: TestClient[Any, Any], store: Store
) -> None:
    store.delay = 0.05
    store.fail = [StorageError("full"), StorageError("full")]
    answers = await asyncio.gather(
        *(
            client.post("/hook/path", json={**UPDATE, "update_id": i}, headers=headers())
            for i in range(6)
        )
    )
    statuses = [a.status for a in answers]
    assert statuses.count(503) >= 2 and set(statuses) <= {200, 503}
    stored_ok = {u["update_id"] for call in store.calls[2:] for u in call}
    assert {i for i, s in enumerate(statuses) if s == 200} == stored_ok


async def test_healthz(client: TestClient[Any, Any], store: Store) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"store": "ok", "inbox_pending": 3, "oldest_pending_seconds": 1.235}
    store.health_error = StorageError("cannot open the database bot.db", errors.UNAVAILABLE)
    resp = await client.get("/healthz")
    assert resp.status == 503 and await resp.json() == {"store": "unavailable"}


def test_a_webhook_needs_a_secret(store: Store) -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookServer("/hook", "", store.store, store.health)
