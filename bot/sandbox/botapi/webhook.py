"""Webhook mode: setWebhook and friends, and posting each update until the bot answers 2xx.

With a webhook set, updates are POSTed to it (one at a time per chat, in update_id order, up to
max_connections at once), each until the bot answers 2xx; a refused one is retried after
webhook_retry_base seconds, doubling up to webhook_retry_cap (Telegram waits longer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.botapi.errors import bad
from bot.sandbox.botapi.spec import LOCAL_HOSTS, SECRET_TOKEN, WEBHOOK_PORTS, WEBHOOK_SECRET_HEADER
from bot.sandbox.botapi.state import WebhookConfig
from bot.sandbox.botapi.updates import UpdateQueue, update_kind


class WebhookDelivery(UpdateQueue):
    """The webhook methods and the delivery loop behind them."""

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        await self._stop_webhook_delivery()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params["url"]).strip()
        if not url:  # as Telegram: an empty url removes the webhook
            return await self._m_deletewebhook(params)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise bad("bad webhook: invalid URL") from None
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if host not in LOCAL_HOSTS:
            if parts.scheme != "https":
                raise bad("bad webhook: An HTTPS URL must be provided for webhook")
            if port is not None and port not in WEBHOOK_PORTS:
                raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise bad("secret token contains unallowed characters")
        max_connections = params.get("max_connections")
        if max_connections is None:
            max_connections = 40
        if not 1 <= max_connections <= 100:
            raise bad("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
            self._updates = [u for u in self._updates if self._update_allowed(update_kind(u))]
        if params.get("drop_pending_updates"):
            self._updates.clear()
        # Deliveries in flight to the old address are abandoned; they are sent again.
        await self._stop_webhook_delivery()
        self.webhook = WebhookConfig(url, str(secret) if secret else None, max_connections)
        self._webhook_last_error = None
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="emulator-webhook")
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    # ----------------------------------------------------------------- delivery

    @property
    def webhook_in_flight(self) -> int:
        """Deliveries waiting for the bot's answer right now."""
        return len(self._webhook_in_flight)

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        in_flight = list(self._webhook_in_flight.values())
        for pending in (task, *in_flight):
            if pending is not None:
                pending.cancel()
        await asyncio.gather(
            *(t for t in (task, *in_flight) if t is not None), return_exceptions=True
        )
        self._webhook_in_flight.clear()
        self._webhook_retry.clear()

    async def _webhook_loop(self) -> None:
        """Start every delivery that may start, then sleep until something changes."""
        hook = self.webhook
        assert hook is not None
        connector = aiohttp.TCPConnector(limit=hook.max_connections)
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self._stopping.is_set() and self.webhook is hook:
                changed = self._changed
                due = self._start_deliveries(session, hook)
                wait = 1.0 if due is None else min(1.0, max(0.0, due - time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)

    def _start_deliveries(
        self, session: aiohttp.ClientSession, hook: WebhookConfig
    ) -> float | None:
        """Start a delivery for each chat's oldest pending update (up to max_connections);
        returns when the next retry falls due, if any waits."""
        now = time.monotonic()
        due: float | None = None
        busy: set[Any] = set()
        for update in self._updates:
            if len(self._webhook_in_flight) >= hook.max_connections:
                break
            key = delivery_key(update)
            if key in busy:
                continue  # an earlier update of this chat is not confirmed yet
            busy.add(key)
            uid = update["update_id"]
            if uid in self._webhook_in_flight:
                continue
            _failures, not_before = self._webhook_retry.get(uid, (0, 0.0))
            if not_before > now:
                due = not_before if due is None else min(due, not_before)
                continue
            self._webhook_in_flight[uid] = asyncio.create_task(
                self._deliver(session, hook, update), name=f"emulator-webhook-{uid}"
            )
        self.webhook_peak_in_flight = max(self.webhook_peak_in_flight, len(self._webhook_in_flight))
        return due

    async def _deliver(
        self, session: aiohttp.ClientSession, hook: WebhookConfig, update: dict[str, Any]
    ) -> None:
        uid = update["update_id"]
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[WEBHOOK_SECRET_HEADER] = hook.secret_token
        status: int | None = None
        error = ""
        try:
            async with session.post(
                self._webhook_target(hook), data=json.dumps(update), headers=headers
            ) as response:
                status = response.status
                reason = f"{status} {response.reason or ''}".rstrip()
                error = f"Wrong response from the webhook: {reason}"
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = _delivery_error(exc)
        finally:
            self._webhook_in_flight.pop(uid, None)
        now = time.monotonic()
        self.webhook_log.append({"update_id": uid, "status": status, "t": now})
        if status is not None and 200 <= status < 300:
            self.webhook_deliveries += 1
            self._webhook_retry.pop(uid, None)
            for i, pending in enumerate(self._updates):
                if pending["update_id"] == uid:
                    del self._updates[i]
                    break
            self._last_call_t = now  # the bot has it now: quiet is counted from here
        else:
            self.webhook_failures += 1
            failures = self._webhook_retry.get(uid, (0, 0.0))[0] + 1
            delay = min(self.webhook_retry_cap, self.webhook_retry_base * 2 ** (failures - 1))
            self._webhook_retry[uid] = (failures, now + delay)
            self._webhook_last_error = (int(time.time()), error)
        self._signal()

    def _webhook_target(self, hook: WebhookConfig) -> str:
        if not self.webhook_balancer:
            return hook.url
        base = self.webhook_balancer[self._balancer_next % len(self.webhook_balancer)]
        self._balancer_next += 1
        path = urlsplit(hook.url)
        return base.rstrip("/") + path.path + (f"?{path.query}" if path.query else "")


def delivery_key(update: dict[str, Any]) -> Any:
    """The chat an update belongs to (a webhook gets one chat's updates one at a time)."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
        sender = value.get("from")
        if isinstance(sender, dict):
            return f"user {sender.get('id')}"
    return "other"


def _delivery_error(exc: BaseException) -> str:
    """getWebhookInfo's last_error_message for a delivery that got no answer."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    if isinstance(exc, TimeoutError):
        return "Read timeout expired"
    return type(exc).__name__
