"""The Bot API methods about chats, members, forum topics and files."""

from __future__ import annotations

from typing import Any

from bot.sandbox.botapi.actions import PeopleActions
from bot.sandbox.botapi.errors import bad
from bot.sandbox.botapi.spec import TOPIC_ICON_COLORS
from bot.sandbox.botapi.state import ADMIN_STATUSES, DEFAULT_TOPIC_COLOR, Chat, Topic


class ChatMethods(PeopleActions):
    """getChat, members, leaving, forum topics and getFile."""

    async def _m_getchat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        out = {
            **self.chat_json(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return out

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        user_id = params["user_id"]
        if user_id not in self.users:
            raise bad("user not found")
        if chat.type == "private" and user_id not in (chat.id, self.bot.id):
            raise bad("user not found")
        return self._member_json(chat, user_id)

    async def _m_getchatadministrators(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        if chat.type == "private":
            raise bad("there are no administrators in the private chat")
        return [
            self._member_json(chat, uid)
            for uid, status in chat.members.items()
            if status in ADMIN_STATUSES
        ]

    async def _m_leavechat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        if chat.type == "private":
            raise bad("chat member status can't be changed in private chats")
        self.set_member_status(chat.id, self.bot.id, "left")
        return True

    def _forum_for_topics(self, params: dict[str, Any]) -> Chat:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        if not self._bot_is_admin(chat):
            raise bad("not enough rights to manage topics")
        return chat

    def _topic(self, chat: Chat, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad("TOPIC_ID_INVALID")
        return topic

    def _topic_service(self, chat: Chat, topic: Topic, service: dict[str, Any]) -> None:
        self._new_message(
            chat, self.bot.id, thread_id=topic.thread_id, is_topic_message=True, service=service
        )

    async def _m_createforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        if not self._bot_is_admin(chat):
            raise bad("not enough rights to create a topic")
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise bad("TOPIC_NAME_INVALID")
        color = params.get("icon_color", DEFAULT_TOPIC_COLOR)
        if color not in TOPIC_ICON_COLORS:
            raise bad("invalid icon_color specified")
        thread_id = chat.take_message_id()
        topic = Topic(thread_id, name, color, params.get("icon_custom_emoji_id") or None)
        chat.topics[thread_id] = topic
        created: dict[str, Any] = {"name": name, "icon_color": color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        self._new_message(
            chat,
            self.bot.id,
            message_id=thread_id,
            thread_id=thread_id,
            is_topic_message=True,
            service={"forum_topic_created": created},
        )
        return {"message_thread_id": thread_id, **created}

    async def _m_editforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if name is not None and not 1 <= len(str(name)) <= 128:
            raise bad("TOPIC_NAME_INVALID")
        changed: dict[str, Any] = {}
        if name is not None and str(name) != topic.name:
            topic.name = changed["name"] = str(name)
        if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = emoji or None
            changed["icon_custom_emoji_id"] = emoji
        if not changed:
            raise bad("TOPIC_NOT_MODIFIED")
        self._topic_service(chat, topic, {"forum_topic_edited": changed})
        return True

    async def _m_closeforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        if topic.closed:
            raise bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        self._topic_service(chat, topic, {"forum_topic_closed": {}})
        return True

    async def _m_reopenforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        if not topic.closed:
            raise bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        self._topic_service(chat, topic, {"forum_topic_reopened": {}})
        return True

    async def _m_deleteforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id and not msg.deleted:
                msg.deleted = True
                if msg.from_id == self.bot.id and not msg.service:
                    self._event("delete", msg)
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        info = self.files.get(str(params["file_id"]))
        if info is None:
            raise bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
            "file_path": self._file_path(info),
        }
