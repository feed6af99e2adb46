"""PTB's HTTP transport on aiohttp's client instead of httpx.

Every Bot API call of the bot goes through here. Profiled under load, about half of the
bot's event-loop time was spent inside httpx/httpcore/h11/anyio for PTB's requests; aiohttp
(already a dependency: it serves the emulator) parses HTTP in C and costs a fraction of that
per call (bench/RESULTS.md, "CPU cost"). The interface is PTB's own `BaseRequest`, so PTB
still builds every request and parses every answer.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A pool of keep-alive connections to the Bot API, with PTB's timeouts and errors."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds to it for long polling)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (once; PTB may call this more than once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the pool and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def _pick(value: ODVInput[float], default: float | None) -> float | None:
        return default if isinstance(value, DefaultValue) else value

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; answer (status, body) or raise TimedOut / NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data is not None else None
        body: Any
        headers: dict[str, str] | None = None
        if files:
            body = aiohttp.FormData(quote_fields=False)
            for name, value in (request_data.json_parameters if request_data else {}).items():
                body.add_field(name, value)
            for name, field in files.items():
                filename, content, mime = _file_field(field)
                body.add_field(name, content, filename=filename, content_type=mime)
            write = self._pick(write_timeout, self._media_write_timeout)
        else:
            body = request_data.json_payload if request_data is not None else None
            headers = {"Content-Type": "application/json"} if body else None
            write = self._pick(write_timeout, self._write_timeout)
        read = self._pick(read_timeout, self._read_timeout)
        connect = self._pick(connect_timeout, self._connect_timeout)
        pool = self._pick(pool_timeout, self._pool_timeout)
        # aiohttp has no separate write timeout: the whole exchange may take the read and
        # write budgets together; waiting for a free connection counts as connecting.
        total = (
            None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        )
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=None if connect is None and pool is None else (connect or 0) + (pool or 0),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _file_field(field: Any) -> tuple[str | None, Any, str | None]:
    """PTB's upload tuple: (filename, content[, mime type])."""
    if isinstance(field, tuple):
        filename = field[0] if len(field) > 0 else None
        content = field[1] if len(field) > 1 else b""
        mime = field[2] if len(field) > 2 else None
        return filename, content, mime
    return None, field, None
