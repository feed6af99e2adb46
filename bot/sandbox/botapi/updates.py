"""The bot's update queue: what is waiting for it, getUpdates, and waiting for the bot."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.botapi.errors import ApiError
from bot.sandbox.botapi.messages import MessageViews
from bot.sandbox.botapi.spec import DEFAULT_EXCLUDED_UPDATES, WEBHOOK_ACTIVE
from bot.sandbox.botapi.state import (
    MESSAGE_META_FIELDS,
    PERSON_CONTENT_FIELDS,
    UNCOPYABLE_FIELDS,
    CallbackQueryState,
    Message,
)

MESSAGE_UPDATES = frozenset(
    {
        "message", "edited_message", "business_message", "edited_business_message",
        "channel_post", "edited_channel_post",
    }
)  # fmt: skip


class UpdateQueue(MessageViews):
    """Updates for the bot, in update_id order, until it confirms them."""

    def _update_allowed(self, kind: str) -> bool:
        if self.deliver_everything:
            return True
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def inject_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Deliver an update built outside the emulator (e.g. generated from the Bot API's
        schema), first making what it refers to exist here: the message it carries is stored
        in its chat (so copies, replies and edits behave as Telegram would), a callback query
        is registered (so it can be answered)."""
        message = payload if kind in MESSAGE_UPDATES else None
        if kind == "callback_query":
            target = payload.get("message") or {}
            chat = target.get("chat") or {}
            self.callback_queries[str(payload["id"])] = CallbackQueryState(
                str(payload["id"]),
                int((payload.get("from") or {}).get("id", 0)),
                int(chat.get("id", 0)),
                int(target.get("message_id", 0)),
                str(payload.get("data") or ""),
                time.monotonic(),
            )
        if message is not None:
            self._store_injected(message)
        return self.enqueue_update(kind, payload)

    def _store_injected(self, data: dict[str, Any]) -> None:
        chat_json = data.get("chat") or {}
        chat = self.chats.get(int(chat_json.get("id", 0)))
        if chat is None:
            return
        content = [k for k in data if k not in MESSAGE_META_FIELDS]
        service = {k: data[k] for k in content if k not in PERSON_CONTENT_FIELDS} or None
        kind = next((k for k in content if k in PERSON_CONTENT_FIELDS and k != "text"), None)
        poll = data.get("poll") or {}
        msg = Message(
            chat_id=chat.id,
            message_id=int(data["message_id"]),
            date=int(data.get("date", 0)),
            from_id=(data.get("from") or {}).get("id"),
            text=data.get("text"),
            caption=data.get("caption"),
            media_kind=kind,
            media=data.get(kind) if kind else None,
            thread_id=data.get("message_thread_id"),
            service=service,
            uncopyable=any(k in UNCOPYABLE_FIELDS for k in content)
            or (poll.get("type") == "quiz" and "correct_option_id" not in poll),
        )
        chat.messages[msg.message_id] = msg
        chat.next_message_id = max(chat.next_message_id, msg.message_id + 1)

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Append an update for the bot; returns its update_id (None if filtered out)."""
        if not self._update_allowed(kind):
            return None
        uid = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": uid, kind: payload})
        self.flood.grant_reply_credit(kind, payload)
        self._signal()
        return uid

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    @property
    def undelivered_updates(self) -> int:
        """Updates that no getUpdates call has returned yet (with a webhook: that the bot has
        not answered 2xx for, in flight and waiting for a retry included)."""
        if self.webhook is not None:
            return len(self._updates)
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_update_id)

    def is_idle(self, quiet: float) -> bool:
        """No bot call in flight or within `quiet` seconds, and no update waiting for the bot."""
        return (
            self._inflight == 0
            and self.undelivered_updates == 0
            and time.monotonic() - self._last_call_t >= quiet
        )

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has been quiet for `quiet` seconds (getUpdates does not count)."""
        deadline = time.monotonic() + timeout
        while not self.is_idle(quiet):
            now = time.monotonic()
            if now >= deadline:
                never = "never fetched" if self.webhook is None else "not confirmed by the webhook"
                raise AssertionError(
                    f"bot not idle after {timeout}s: {self._inflight} call(s) in flight, "
                    f"{self.undelivered_updates} update(s) {never}"
                )
            wake = max(quiet - (now - self._last_call_t), 0.01)
            await self.wait_change(min(wake, deadline - now))

    # ----------------------------------------------------------------- methods

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = params.get("offset") or 0
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            # Updates of kinds no longer allowed are dropped, as Telegram would never store them.
            self._updates = [u for u in self._updates if self._update_allowed(update_kind(u))]
            batch = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping.is_set():
                break
            await self.wait_change(remaining)
            if self.webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
        self.last_poll_t = time.monotonic()
        return batch


def update_kind(update: dict[str, Any]) -> str:
    """The kind of an update (its one field besides update_id)."""
    return next(k for k in update if k != "update_id")
