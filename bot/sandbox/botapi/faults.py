"""Injected failures: what a test asks the emulator to break, and how each one answers."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.botapi.errors import ApiError

FAULT_KINDS = frozenset({"400", "500", "429", "timeout", "drop", "drop_after", "slow"})


@dataclass
class Fault:
    """An injected failure waiting for a matching call."""

    kind: str
    method: str | None
    count: int
    retry_after: int
    chat_id: int | str | None


class Faults:
    """Injected failures, consumed in the order added."""

    def __init__(self) -> None:
        self._items: list[Fault] = []
        self.timeout_seconds = 30.0  # a "timeout" fault hangs this long (or until stop)
        self.fired: list[dict[str, Any]] = []

    def add(
        self,
        method: str | None = None,
        kind: str = "500",
        count: int = 1,
        retry_after: int = 1,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Queue a fault; method=None matches any method except getUpdates."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        fault = Fault(kind, method, count, retry_after, chat_id)
        self._items.append(fault)
        return fault

    def clear(self) -> None:
        """Forget all pending faults."""
        self._items.clear()

    def pending(self) -> int:
        """How many fault firings are still queued."""
        return sum(f.count for f in self._items)

    def take(self, method: str, chat_id: Any) -> Fault | None:
        """Consume one firing of the first fault that matches this call."""
        for fault in self._items:
            if fault.method is None:
                if method == "getUpdates":
                    continue
            elif fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.count -= 1
            if fault.count <= 0:
                self._items.remove(fault)
            self.fired.append({"method": method, "kind": fault.kind, "chat_id": chat_id})
            return fault
        return None

    async def respond(
        self, request: web.Request, fault: Fault, stopping: asyncio.Event
    ) -> web.StreamResponse:
        """Answer a call the way this fault says (a "timeout" hangs until `stopping`)."""
        if fault.kind == "400":  # refused for good (as for a chat Telegram will not write to)
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: refused (injected)"},
                status=400,
            )
        if fault.kind == "500":
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, status=500
            )
        if fault.kind == "429":
            err = ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
            return web.json_response(err.body(), status=429)
        if fault.kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.timeout_seconds)
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        # drop / drop_after: the connection dies without any response.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
