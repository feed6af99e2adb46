"""The emulator over HTTP: the Bot API routes (/bot<token>/<method>, file downloads) and a
small control API for a standalone emulator driven from another process (/_emu/...)."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.botapi.actions import PeopleActions
from bot.sandbox.botapi.errors import ApiError, bad
from bot.sandbox.botapi.state import Upload
from bot.sandbox.botapi.validation import coerce_params


class HttpServer(PeopleActions):
    """Routes, request parsing, dispatch to the method handlers, faults and call logs."""

    def _application(self) -> web.Application:
        """The aiohttp application serving the Bot API and the control API."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        app.router.add_get("/_emu/state", self._control_state)
        app.router.add_get("/_emu/messages", self._control_messages)
        app.router.add_post("/_emu/message", self._control_message)
        app.router.add_post("/_emu/press", self._control_press)
        return app

    # ----------------------------------------------------------------- Bot API

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        for info in self.files.values():
            if self._file_path(info) == path:
                return web.Response(body=info.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method_raw = request.match_info["method"]
        entry = self._handlers.get(method_raw.lower())
        method = entry[0] if entry else method_raw
        self.calls[method] += 1
        if request.match_info["token"] != self.token:
            return self._error_response(method, {}, ApiError(401, "Unauthorized"))
        if entry is None:
            return self._error_response(method, {}, ApiError(404, "Not Found"))
        tracked = method != "getUpdates"
        if tracked:
            self._inflight += 1
        else:
            self.last_poll_t = time.monotonic()
        params: dict[str, Any] = {}
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            params, uploads = await self._read_params(request)
            params = coerce_params(method, params, uploads)
            fault = self.faults.take(method, params.get("chat_id"))
            if fault is not None and fault.kind == "slow":  # answers normally, retry_after s late
                await asyncio.sleep(fault.retry_after)
                fault = None
            if fault is not None and fault.kind != "drop_after":
                return await self.faults.respond(request, fault, self._stopping)
            result = await entry[1](params)
            if fault is not None:
                self._log_success(method, params, result)
                return await self.faults.respond(request, fault, self._stopping)
        except ApiError as err:
            return self._error_response(method, params, err)
        except Exception as exc:
            # An emulator bug must fail the test run loudly, not pass for a Telegram hiccup.
            self.internal_errors.append(f"{method}: {traceback.format_exc()}")
            return self._error_response(
                method, params, ApiError(500, f"Internal Server Error: emulator bug {exc!r}")
            )
        finally:
            if tracked:
                self._inflight -= 1
                self._last_call_t = time.monotonic()
            self._signal()
        if tracked:
            self._log_success(method, params, result)
        return web.json_response({"ok": True, "result": result})

    def _log_success(self, method: str, params: dict[str, Any], result: Any) -> None:
        self.sent_log.append(
            {"method": method, "params": loggable(params), "result": result, "t": time.monotonic()}
        )

    def _error_response(
        self, method: str, params: dict[str, Any], err: ApiError
    ) -> web.StreamResponse:
        self.error_log.append(
            {
                "method": method,
                "params": loggable(params),
                "error_code": err.code,
                "description": err.description,
                "t": time.monotonic(),
            }
        )
        return web.json_response(err.body(), status=err.code)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, uploads
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise bad("can't parse JSON encoded request body") from exc
                if not isinstance(body, dict):
                    raise bad("JSON request body must be an object")
                params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: PTB never sends it
                name = part.name or ""
                if part.filename is not None:
                    data = await part.read()
                    uploads[name] = Upload(
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(data),
                    )
                else:
                    params[name] = await part.text()
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
        return params, uploads

    # ----------------------------------------------------------------- control API

    async def _control_state(self, request: web.Request) -> web.StreamResponse:
        users = [
            {"id": u.id, "first_name": u.first_name, "language_code": u.language_code,
             "blocked": u.blocked, "started": u.started}
            for u in self.users.values()
            if not u.is_bot
        ]  # fmt: skip
        groups = [
            {"id": c.id, "title": c.title, "is_forum": c.is_forum, "members": c.members,
             "topics": [vars(t) for t in c.topics.values()]}
            for c in self.chats.values()
            if c.type != "private"
        ]  # fmt: skip
        return web.json_response(
            {"users": users, "groups": groups, "pending_updates": self.pending_updates}
        )

    async def _control_messages(self, request: web.Request) -> web.StreamResponse:
        try:
            chat = self.chats[int(request.query["chat_id"])]
        except (KeyError, ValueError):
            return web.json_response({"error": "unknown or missing chat_id"}, status=400)
        out = [
            {"message_id": m.message_id, "text": m.text if m.text is not None else m.caption,
             "html": m.raw, "thread_id": m.thread_id, "media_kind": m.media_kind,
             "reply_markup": m.reply_markup, "edits": len(m.history)}
            for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
            if m.from_id == self.bot.id and not m.deleted and not m.service
        ]  # fmt: skip
        return web.json_response(out)

    async def _control_message(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            user_id = int(body["user_id"])
            text = str(body["text"])
            msg = self.person_message(
                user_id,
                int(body.get("chat_id") or user_id),
                text=text,
                thread_id=body.get("thread_id"),
                reply_to=body.get("reply_to"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": repr(exc)}, status=400)
        return web.json_response({"message_id": msg.message_id})

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            user_id = int(body["user_id"])
            qid = self.person_press(
                user_id,
                int(body.get("chat_id") or user_id),
                int(body["message_id"]),
                str(body["data"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": repr(exc)}, status=400)
        return web.json_response({"callback_query_id": qid})


def loggable(params: dict[str, Any]) -> dict[str, Any]:
    """Call parameters for the logs (an upload as its name and size)."""
    return {
        k: ({"upload": v.filename, "size": len(v.data)} if isinstance(v, Upload) else v)
        for k, v in params.items()
    }
