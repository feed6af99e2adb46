"""What people do in the emulated Telegram: join, write, edit, press, block, run groups."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any

from bot.sandbox.botapi.state import (
    ACTIVE_STATUSES,
    ADMIN_STATUSES,
    ANONYMOUS_ADMIN_ID,
    CallbackQueryState,
    Chat,
    FileInfo,
    Message,
    User,
)
from bot.sandbox.botapi.updates import UpdateQueue
from bot.sandbox.html import utf16_len


class PeopleActions(UpdateQueue):
    """People, groups and channels, and everything they do that the bot gets updates for."""

    def _create_user(
        self,
        first_name: str,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        started: bool = False,
    ) -> User:
        """Create a person with a private chat; the bot may write first only if started=True."""
        uid = next(self._user_ids)
        user = User(
            id=uid,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone=phone or f"+99450{uid % 10_000_000:07d}",
            started=started,
        )
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private")
        return user

    def _create_group(
        self,
        title: str,
        *,
        forum: bool = True,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        bot_is_admin: bool = True,
        creator: int | None = None,
    ) -> Chat:
        """Create a supergroup (a forum by default) with the bot in it; people by user id."""
        gid = -1_001_000_000_000 - next(self._group_ids)
        chat = Chat(id=gid, type="supergroup", title=title, is_forum=forum)
        if creator is not None:
            chat.members[creator] = "creator"
        for admin in admins:
            chat.members.setdefault(admin, "administrator")
        for member in members:
            chat.members.setdefault(member, "member")
        chat.members[self.bot.id] = "administrator" if bot_is_admin else "member"
        self.chats[gid] = chat
        return chat

    def add_channel(self, title: str) -> Chat:
        """A channel with the bot as an admin (it gets channel_post updates)."""
        cid = -1_001_000_000_000 - next(self._group_ids)
        chat = Chat(id=cid, type="channel", title=title)
        chat.members[self.bot.id] = "administrator"
        self.chats[cid] = chat
        return chat

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Change someone's status in a group (emits chat_member / my_chat_member)."""
        chat = self.chats[chat_id]
        old = chat.members.get(user_id, "left")
        chat.members[user_id] = status
        if old == status:
            return
        kind = "my_chat_member" if user_id == self.bot.id else "chat_member"
        actor = next(
            (uid for uid, st in chat.members.items() if st == "creator"), ANONYMOUS_ADMIN_ID
        )
        self.enqueue_update(
            kind,
            {
                "chat": self.chat_json(chat),
                "from": self.user_json(actor),
                "date": int(time.time()),
                "old_chat_member": self._member_json(chat, user_id, old),
                "new_chat_member": self._member_json(chat, user_id, status),
            },
        )

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """A person blocks/unblocks the bot; the bot gets my_chat_member like on Telegram."""
        user = self.users[user_id]
        if user.blocked == blocked:
            return
        user.blocked = blocked
        chat = self.chats[user_id]
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.enqueue_update(
            "my_chat_member",
            {
                "chat": self.chat_json(chat),
                "from": user.to_json(),
                "date": int(time.time()),
                "old_chat_member": self._member_json(chat, self.bot.id, old),
                "new_chat_member": self._member_json(chat, self.bot.id, new),
            },
        )

    def person_message(
        self,
        user_id: int,
        chat_id: int,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        media: FileInfo | None = None,
        contact: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        sender_chat_id: int | None = None,
        service: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message a person (or the anonymous admin) sent, and tell the bot."""
        if entities is None and text is not None:
            entities = command_entities(text)
        chat = self.chats[chat_id]
        user = self.users.get(user_id)
        if chat.type == "private":
            if user is None or chat_id != user_id:
                raise ValueError("a private chat only has its own person in it")
            if user.blocked:
                # Writing to a blocked bot means pressing "Restart" first.
                self.set_blocked(user_id, False)
            user.started = True
        is_topic = False
        if thread_id is not None:
            topic = chat.topics.get(thread_id)
            if not chat.is_forum or topic is None or topic.deleted:
                raise ValueError(f"no topic {thread_id} in {chat.title!r}")
            status = chat.members.get(user_id, "left")
            if topic.closed and sender_chat_id is None and status not in ADMIN_STATUSES:
                raise ValueError(f"topic {thread_id} is closed; only admins can write there")
            is_topic = True
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None or target.deleted:
                raise ValueError(f"no message {reply_to} to reply to in chat {chat_id}")
        content: dict[str, Any] = {}
        if media is not None:
            content = {
                "media_kind": media.kind,
                "media": self.media_json(media),
                "file_id": media.file_id,
            }
        elif contact is not None:
            content = {"media_kind": "contact", "media": contact}
        msg = self._new_message(
            chat,
            user_id,
            sender_chat_id=sender_chat_id,
            text=text,
            entities=entities or [],
            caption=caption or None,
            thread_id=thread_id,
            is_topic_message=is_topic,
            reply_to=reply_to,
            service=service,
            **content,
        )
        if self._bot_sees(chat, msg):
            self.enqueue_update("message", self.message_json(msg))
        self._signal()
        return msg

    def _bot_sees(self, chat: Chat, msg: Message) -> bool:
        """Privacy mode: a non-admin bot in a group sees only commands, replies and mentions."""
        if chat.type == "private":
            return True
        status = chat.members.get(self.bot.id, "left")
        if status not in ACTIVE_STATUSES:
            return False
        if not self.privacy_mode or status == "administrator" or msg.service:
            return True
        text = msg.text or msg.caption or ""
        if text.startswith("/") or f"@{self.bot.username}" in text:
            return True
        target = chat.messages.get(msg.reply_to) if msg.reply_to else None
        return target is not None and target.from_id == self.bot.id

    def person_edit(self, user_id: int, chat_id: int, message_id: int, text: str) -> Message:
        """A person edits their text message: the bot gets edited_message."""
        msg = self.chats[chat_id].messages.get(message_id)
        if msg is None or msg.deleted or msg.from_id != user_id or msg.text is None:
            raise ValueError(f"user {user_id} has no text message {message_id} in {chat_id}")
        msg.history.append({"text": msg.text, "entities": msg.entities, "edit_date": msg.edit_date})
        msg.text = text
        msg.entities = []
        msg.edit_date = int(time.time())
        if self._bot_sees(self.chats[chat_id], msg):
            self.enqueue_update("edited_message", self.message_json(msg))
        self._signal()
        return msg

    def person_press(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A person presses an inline button (any data: presses may be forged)."""
        chat = self.chats[chat_id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id} to press a button on")
        qid = str(secrets.randbits(62))
        self.callback_queries[qid] = CallbackQueryState(
            qid, user_id, chat_id, message_id, data, time.monotonic()
        )
        self.enqueue_update(
            "callback_query",
            {
                "id": qid,
                "from": self.user_json(user_id),
                "message": self.message_json(msg),
                "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                "data": data,
            },
        )
        return qid

    def set_topic_state(
        self, chat_id: int, thread_id: int, *, closed: bool | None = None, deleted: bool = False
    ) -> None:
        """Close, reopen or delete a topic "by hand", as a human admin would."""
        chat = self.chats[chat_id]
        topic = chat.topics[thread_id]
        if deleted:
            topic.deleted = True
            for msg in chat.messages.values():
                if msg.thread_id == thread_id:
                    msg.deleted = True
            self._signal()
            return
        if closed is None or topic.closed == closed:
            return
        topic.closed = closed
        admin = next(
            (u for u, st in chat.members.items() if st in ADMIN_STATUSES and u != self.bot.id),
            None,
        )
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self.person_message(
            admin if admin is not None else ANONYMOUS_ADMIN_ID,
            chat_id,
            thread_id=thread_id,
            sender_chat_id=None if admin is not None else chat_id,
            service={key: {}},
        )


def command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading /command (with optional @botname) as a bot_command entity."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    if not command[1:].split("@", 1)[0]:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
