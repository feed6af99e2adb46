"""The whole emulator without the test drivers: every layer, the method table and lifecycle.

Where the emulator is deliberately stricter than Telegram (so sloppy code fails in tests):
- a stray "&" in HTML is rejected (Telegram often lets it through as text);
- a person must have written to the bot before the bot may write to them (as on Telegram,
  but easy to forget: add_user(..., started=True) for people who already did);
- closed topics reject messages even from an admin bot (Telegram lets admins post).
sent_log leaves out getUpdates (it would drown everything else); calls counts it.
"""

from __future__ import annotations

from typing import Self

from aiohttp import web

from bot.sandbox.botapi.chats import ChatMethods
from bot.sandbox.botapi.http import HttpServer
from bot.sandbox.botapi.limits import RateLimits
from bot.sandbox.botapi.methods import MessageMethods
from bot.sandbox.botapi.spec import REQUIRED
from bot.sandbox.botapi.webhook import WebhookDelivery


class EmulatorCore(HttpServer, ChatMethods, MessageMethods, WebhookDelivery):
    """In-memory Telegram: users, chats, topics, messages, updates, served over the Bot API."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        latency: float = 0.0,
        rate_limits: bool | RateLimits = True,
        callback_timeout: float = 15.0,
        bot_username: str = "helpdesk_test_bot",
        privacy_mode: bool = True,
    ) -> None:
        super().__init__(
            token,
            latency=latency,
            rate_limits=rate_limits,
            callback_timeout=callback_timeout,
            bot_username=bot_username,
            privacy_mode=privacy_mode,
        )
        for name in REQUIRED:  # every method the emulator knows has an _m_<name> handler
            impl = getattr(self, f"_m_{name.lower()}")
            self._handlers[name.lower()] = (name, impl)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve the Bot API on host:port (0 picks a free port) and set base_url."""
        self._runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{real_port}/bot"
        self.file_base_url = f"http://{host}:{real_port}/file/bot"

    async def stop(self) -> None:
        """Wake every waiting request and shut the server down."""
        self._stopping.set()
        self._signal()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
