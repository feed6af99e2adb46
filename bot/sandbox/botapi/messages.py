"""How the emulator's state looks on the wire (Telegram's JSON objects), and the one builder
every message goes through: a person's, the bot's (sent, copied or forwarded) and a service
message alike."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.botapi.base import EmulatorState
from bot.sandbox.botapi.errors import bad
from bot.sandbox.botapi.spec import RESTRICTED_RIGHTS
from bot.sandbox.botapi.state import (
    ANONYMOUS_ADMIN_ID,
    RESTRICTED_LEFT,
    Chat,
    FileInfo,
    Message,
    Upload,
)
from bot.sandbox.botapi.validation import check_markup, check_reply, check_thread


@dataclass(frozen=True)
class Placement:
    """Where a new bot message goes: its thread, the message it replies to, its keyboard."""

    thread_id: int | None
    is_topic: bool
    reply_to: int | None = None
    markup: dict[str, Any] | None = None


class MessageViews(EmulatorState):
    """JSON views of users, chats, members, files and messages; building and editing messages."""

    # ----------------------------------------------------------------- JSON views

    def user_json(self, user_id: int) -> dict[str, Any]:
        """User object for an id (the anonymous admin bot included)."""
        if user_id == ANONYMOUS_ADMIN_ID:
            return {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
        return self.users[user_id].to_json()

    def chat_json(self, chat: Chat) -> dict[str, Any]:
        """Chat object as embedded in messages."""
        if chat.type == "private":
            user = self.users[chat.id]
            out: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
            return out
        out = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            out["username"] = chat.username
        if chat.is_forum:
            out["is_forum"] = True
        return out

    def message_json(self, msg: Message, *, with_reply: bool = True) -> dict[str, Any]:
        """Telegram's Message object for a stored message, as it looks now."""
        chat = self.chats[msg.chat_id]
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self.chat_json(chat),
        }
        if msg.from_id is not None:
            out["from"] = self.user_json(msg.from_id)
        if msg.sender_chat_id is not None:
            out["sender_chat"] = self.chat_json(self.chats[msg.sender_chat_id])
        if msg.thread_id is not None:
            out["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            out["is_topic_message"] = True
        reply_id = msg.reply_to
        # In a forum topic, an ordinary message "replies" to the topic's creation message.
        if reply_id is None and msg.is_topic_message and msg.message_id != msg.thread_id:
            reply_id = msg.thread_id
        if with_reply and reply_id is not None:
            target = chat.messages.get(reply_id)
            if target is not None and not target.deleted:
                out["reply_to_message"] = self.message_json(target, with_reply=False)
        if msg.forward_origin is not None:
            out["forward_origin"] = msg.forward_origin
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.media_kind is not None:
            out[msg.media_kind] = msg.media
        if msg.caption:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
        if msg.service:
            out.update(msg.service)
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        return out

    def _member_json(self, chat: Chat, user_id: int, status: str | None = None) -> dict[str, Any]:
        if status is None:
            status = "member" if chat.type == "private" else chat.members.get(user_id, "left")
        out: dict[str, Any] = {"status": status, "user": self.user_json(user_id)}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                    "can_manage_topics": True,
                }
            )
        elif status == "kicked":
            out["until_date"] = 0
        elif status in ("restricted", RESTRICTED_LEFT):
            # A muted member: in the chat but allowed nothing. Restricted and then gone, the
            # restriction stays on record with is_member false.
            out.update(
                {"status": "restricted", "is_member": status == "restricted", "until_date": 0}
            )
            out.update(dict.fromkeys(RESTRICTED_RIGHTS, False))
        return out

    # ----------------------------------------------------------------- files

    def _new_file(
        self,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        data: bytes = b"",
    ) -> FileInfo:
        n = next(self._file_ids)
        info = FileInfo(
            file_id=f"{kind.upper()}-{n:06d}-{secrets.token_hex(6)}",
            file_unique_id=f"U{kind[:2].upper()}{n:06d}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            data=data or f"fake {kind} #{n}".encode(),
        )
        info.size = len(info.data)
        self.files[info.file_id] = info
        return info

    def media_json(self, info: FileInfo, kind: str | None = None) -> Any:
        """The media field of a message carrying this file (as `kind`, default its own)."""
        kind = kind or info.kind
        base = {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
        }
        if kind == "photo":
            small = self.files.get(info.file_id + "-s")
            if small is None:
                small = FileInfo(info.file_id + "-s", info.file_unique_id + "s", "photo", size=1)
                self.files[small.file_id] = small
            return [
                {"file_id": small.file_id, "file_unique_id": small.file_unique_id,
                 "file_size": small.size, "width": 90, "height": 67},
                {**base, "width": 1280, "height": 960},
            ]  # fmt: skip
        if kind == "voice":
            return {**base, "duration": 3, "mime_type": info.mime_type or "audio/ogg"}
        if kind == "audio":
            return {**base, "duration": 30, "mime_type": info.mime_type or "audio/mpeg",
                    **({"file_name": info.file_name} if info.file_name else {})}  # fmt: skip
        if kind == "video":
            return {**base, "width": 640, "height": 480, "duration": 5,
                    "mime_type": info.mime_type or "video/mp4"}  # fmt: skip
        out = dict(base)
        if info.file_name:
            out["file_name"] = info.file_name
        if info.mime_type:
            out["mime_type"] = info.mime_type
        return out

    def new_upload_file(
        self, kind: str, *, file_name: str | None = None, mime_type: str | None = None
    ) -> FileInfo:
        """A file a person uploads (photo, voice, document...)."""
        return self._new_file(kind, file_name=file_name, mime_type=mime_type)

    def _resolve_file(self, kind: str, value: Any) -> FileInfo:
        """A file_id the emulator knows, or a fresh upload."""
        if isinstance(value, Upload):
            return self._new_file(
                kind, file_name=value.filename, mime_type=value.content_type, data=value.data
            )
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                return self._new_file(kind, file_name=value.rsplit("/", 1)[-1] or None)
            info = self.files.get(value)
            if info is None:
                raise bad("wrong file identifier/HTTP URL specified")
            if info.kind != kind and not (kind == "document" and info.kind != "photo"):
                raise bad(f"can't use file of type {info.kind.title()} as {kind.title()}")
            return info
        raise bad(f"there is no {kind} in the request")

    @staticmethod
    def _file_path(info: FileInfo) -> str:
        return f"{info.kind}s/{info.file_unique_id}"

    # ----------------------------------------------------------------- the message builder

    def _new_message(
        self, chat: Chat, from_id: int | None, *, message_id: int | None = None, **fields: Any
    ) -> Message:
        """Store a new message in `chat`, dated now, under the chat's next id by default."""
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id() if message_id is None else message_id,
            date=int(time.time()),
            from_id=from_id,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        return msg

    def _place(self, chat: Chat, params: dict[str, Any], *, replies: bool = True) -> Placement:
        """Check where a bot message is to go (thread; unless not `replies`: reply, keyboard)."""
        thread_id, is_topic = check_thread(chat, params.get("message_thread_id"))
        if not replies:
            return Placement(thread_id, is_topic)
        reply_to = check_reply(chat, params)
        markup = check_markup(params.get("reply_markup"), chat)
        return Placement(thread_id, is_topic, reply_to, markup)

    def _bot_send(self, chat: Chat, place: Placement, **content: Any) -> Message:
        """Draw on flood control, then store the bot's new message and record the event."""
        self.flood.take(chat)
        msg = self._new_message(
            chat,
            self.bot.id,
            reply_markup=place.markup,
            reply_to=place.reply_to,
            thread_id=place.thread_id,
            is_topic_message=place.is_topic,
            **content,
        )
        self._event("new", msg)
        return msg

    def _bot_edit(self, chat: Chat, msg: Message, **changes: Any) -> dict[str, Any]:
        """Draw on flood control, keep the old version, apply `changes`; the edited JSON."""
        self.flood.take(chat, edit=True)
        msg.history.append(self._snapshot(msg))
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.edit_date = int(time.time())
        self._event("edit", msg)
        return self.message_json(msg)

    def _snapshot(self, msg: Message) -> dict[str, Any]:
        return {
            "text": msg.text,
            "entities": msg.entities,
            "caption": msg.caption,
            "caption_entities": msg.caption_entities,
            "raw": msg.raw,
            "reply_markup": msg.reply_markup,
            "edit_date": msg.edit_date,
        }


def copied_content(src: Message) -> dict[str, Any]:
    """The content fields of a copy or a forward of `src`."""
    return {
        "text": src.text,
        "entities": list(src.entities),
        "caption": src.caption,
        "caption_entities": list(src.caption_entities),
        "raw": raw_of(src),
        "media_kind": src.media_kind,
        "media": src.media,
        "file_id": src.file_id,
        "copied_from": (src.chat_id, src.message_id),
    }


def raw_of(msg: Message) -> str | None:
    """What a copy of this message shows as its source text (persons send no markup)."""
    if msg.raw is not None:
        return msg.raw
    return msg.text if msg.text is not None else msg.caption
