"""Which ordering lane an update belongs to: updates of one lane are handled in order."""

from __future__ import annotations

from typing import Any

_MESSAGE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


def lane_of(update: dict[str, Any]) -> str:
    """The chat (and forum topic) an update concerns, or its sender, or 'global'."""
    for key in _MESSAGE_KEYS:
        message = update.get(key)
        if isinstance(message, dict):
            return _message_lane(message)
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        sender = query.get("from") or {}
        if isinstance(message, dict):
            chat_id = (message.get("chat") or {}).get("id", 0)
            if isinstance(chat_id, int) and chat_id < 0:
                # In a group, each presser's buttons in order, but never behind the topic's
                # messages (a reply there may wait minutes for the group's 20 a minute).
                return f"c{chat_id}:u{sender.get('id', 0)}"
            return _message_lane(message)
        return f"u{sender.get('id', 0)}"
    for key in ("my_chat_member", "chat_member", "chat_join_request"):
        member = update.get(key)
        if isinstance(member, dict):
            return f"c{(member.get('chat') or {}).get('id', 0)}"
    for value in update.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return f"u{value['from'].get('id', 0)}"
    return "global"


def _message_lane(message: dict[str, Any]) -> str:
    chat_id = (message.get("chat") or {}).get("id", 0)
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    return f"c{chat_id}:{thread}" if thread else f"c{chat_id}"
