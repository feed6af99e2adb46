"""Webhook ingress: Telegram POSTs each update; it is stored before Telegram hears 200.

The runtime gives two callbacks and this module knows nothing else about the bot:

- ``store_updates(updates)`` stores raw updates durably and hands them on; it returns once
  they are committed. It raises when the store cannot take them: the request is then
  answered 503 and Telegram sends the update again later, so nothing is lost.
- ``health()`` reads the inbox (pending updates, the oldest one's age) for ``GET /healthz``.

Requests that arrive while a commit is being written share the next one (group commit): under
load one commit carries many updates, and no update waits longer than the commit before it.
A request with a bad body (not JSON, not an update) is answered 400, never 5xx: Telegram
retries anything that is not 2xx, and a body that cannot be parsed never will be.
Nothing here logs what people wrote: only counts, statuses and error types.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.delivery.inbox_worker import describe_error
from bot.storage.errors import StorageError, storage_fault

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# Telegram's updates are a few kilobytes (a message with its reply and entities); a request
# bigger than this is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024

StoreUpdates = Callable[[list[dict[str, Any]]], Awaitable[object]]


@dataclass(frozen=True)
class InboxHealth:
    """What /healthz reports besides reachability: how far handling lags behind arrival."""

    pending: int
    oldest_pending_seconds: float


HealthFn = Callable[[], Awaitable[InboxHealth]]


class Unavailable(Exception):
    """The bot cannot take updates right now (too many waiting, stopping): answer 503."""


def is_store_failure(exc: BaseException) -> bool:
    """Whether an error means "not stored, ask Telegram to send it again" (503)."""
    return isinstance(exc, Unavailable | StorageError) or storage_fault(exc) is not None


@dataclass
class _Batch:
    updates: list[dict[str, Any]] = field(default_factory=list)
    done: asyncio.Future[None] | None = None


@dataclass
class WebhookStats:
    """Counters for tests, benchmarks and the log."""

    stored: int = 0  # requests answered 200
    commits: int = 0  # store_updates calls (fewer than stored under load: group commit)
    unauthorized: int = 0
    too_large: int = 0
    bad_body: int = 0
    unavailable: int = 0  # answered 503
    failed: int = 0  # answered 500 (a bug, not the store)


class WebhookServer:
    """An aiohttp application serving POST <path> (updates) and GET /healthz."""

    def __init__(
        self,
        path: str,
        secret: str,
        store_updates: StoreUpdates,
        health: HealthFn,
        *,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self.path = path or "/"
        self._secret = secret.encode()
        self.store_updates = store_updates
        self.health = health
        self.max_body = max_body
        self.stats = WebhookStats()
        self._open: _Batch | None = None
        self._writer: asyncio.Task[None] | None = None
        self._failing_since: float | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ----------------------------------------------------------------- the application

    def application(self) -> web.Application:
        # client_max_size: aiohttp refuses to read a larger body (413), whatever the headers say.
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self.handle_update)
        if self.path != HEALTH_PATH:
            app.router.add_get(HEALTH_PATH, self.handle_health)
        return app

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the port."""
        runner = web.AppRunner(self.application(), access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                exc.errno, f"cannot listen on WEBHOOK_LISTEN {host}:{port}: {exc.strerror}"
            ) from exc
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        """Stop listening; requests in flight get a few seconds to finish their commit."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    # ----------------------------------------------------------------- handlers

    async def handle_update(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        # Constant time, and before the body is read: a stranger learns nothing and costs little.
        if not hmac.compare_digest(given, self._secret):
            self.stats.unauthorized += 1
            if self.stats.unauthorized in (1, 10) or self.stats.unauthorized % 1000 == 0:
                log.warning(
                    "webhook: %s requests without the right secret token (401)",
                    self.stats.unauthorized,
                )
            return web.Response(status=401, text="unauthorized")
        if request.content_length is not None and request.content_length > self.max_body:
            return self._too_large()
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large()
        update = _parse_update(body)
        if update is None:
            self.stats.bad_body += 1
            log.warning("webhook: a request with the right secret but no update in it (400)")
            return web.Response(status=400, text="not an update")
        try:
            await self._commit(update)
        except Exception as exc:
            if not is_store_failure(exc):
                self.stats.failed += 1
                log.error("webhook: storing an update failed: %s", describe_error(exc))
                return web.Response(status=500, text="internal error")
            self.stats.unavailable += 1
            self._note_failure(exc)
            # Telegram sends it again later (with growing pauses): nothing was confirmed.
            return web.Response(status=503, text="store unavailable", headers={"Retry-After": "1"})
        self.stats.stored += 1
        if self._failing_since is not None:
            log.warning(
                "webhook: updates are stored again (after %.0fs of 503s)",
                time.monotonic() - self._failing_since,
            )
            self._failing_since = None
        return web.Response(status=200)

    def _too_large(self) -> web.Response:
        self.stats.too_large += 1
        log.warning("webhook: a request body over %s bytes (413)", self.max_body)
        return web.Response(status=413, text="too large")

    def _note_failure(self, exc: BaseException) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            reason = str(exc) if isinstance(exc, Unavailable | StorageError) else type(exc).__name__
            log.warning(
                "webhook: cannot store updates (%s); answering 503, Telegram will retry", reason
            )

    async def handle_health(self, request: web.Request) -> web.StreamResponse:
        try:
            health = await self.health()
        except Exception as exc:
            log.warning("healthz: the store does not answer (%s)", type(exc).__name__)
            return web.json_response({"store": "unavailable"}, status=503)
        return web.json_response(
            {
                "store": "ok",
                "inbox_pending": health.pending,
                "oldest_pending_seconds": round(health.oldest_pending_seconds, 3),
            }
        )

    # ----------------------------------------------------------------- group commit

    async def _commit(self, update: dict[str, Any]) -> None:
        """Returns once the update is stored (raises what the store raised)."""
        batch = self._open
        if batch is None:
            batch = self._open = _Batch(done=asyncio.get_running_loop().create_future())
        batch.updates.append(update)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="webhook-commit")
        assert batch.done is not None
        # Shielded: a request cancelled at shutdown does not cancel the others' commit.
        await asyncio.shield(batch.done)

    async def _write_batches(self) -> None:
        while self._open is not None:
            batch, self._open = self._open, None
            assert batch.done is not None
            self.stats.commits += 1
            try:
                await self.store_updates(batch.updates)
            except asyncio.CancelledError:
                batch.done.set_exception(Unavailable("stopping"))
                raise
            except Exception as exc:
                batch.done.set_exception(exc)
            else:
                batch.done.set_result(None)


def _parse_update(body: bytes) -> dict[str, Any] | None:
    """The update in a request body, or None if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return None
    return data
