"""The Bot API methods about the bot itself and its messages: send, copy, forward, edit,
delete, chat actions, button answers and reactions."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.botapi.errors import ApiError, bad
from bot.sandbox.botapi.messages import MessageViews, copied_content
from bot.sandbox.botapi.spec import CHAT_ACTIONS, MEDIA_METHODS, NOT_MODIFIED, QUERY_TOO_OLD
from bot.sandbox.botapi.state import Chat, Message
from bot.sandbox.botapi.validation import (
    check_markup,
    check_thread,
    commands_key,
    parse_text,
    valid_command,
)


class MessageMethods(MessageViews):
    """getMe, commands, and everything the bot does to messages."""

    # ----------------------------------------------------------------- the bot

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for cmd in commands:
            name = cmd.get("command") if isinstance(cmd, dict) else None
            desc = cmd.get("description") if isinstance(cmd, dict) else None
            if not isinstance(name, str) or not valid_command(name):
                raise bad("BOT_COMMAND_INVALID")
            if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(commands_key(params), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(commands_key(params), None)
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    # ----------------------------------------------------------------- sending

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        place = self._place(chat, params)
        raw = params["text"]
        if not isinstance(raw, str):
            raw = str(raw)
        text, entities = parse_text(
            raw, params.get("parse_mode"), params.get("entities"), caption=False
        )
        msg = self._bot_send(
            chat, place, text=text, entities=entities, raw=raw, parse_mode=params.get("parse_mode")
        )
        return self.message_json(msg)

    async def _send_media(self, method: str, params: dict[str, Any]) -> Any:
        kind = MEDIA_METHODS[method]
        chat = self._chat(params["chat_id"])
        place = self._place(chat, params)
        raw = params.get("caption")
        caption: str | None = None
        caption_entities: list[dict[str, Any]] = []
        if raw is not None and raw != "":
            raw = str(raw)
            caption, caption_entities = parse_text(
                raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
        info = self._resolve_file(kind, params[kind])
        msg = self._bot_send(
            chat,
            place,
            caption=caption or None,
            caption_entities=caption_entities,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            # A voice or video sent with sendDocument becomes a document, as on Telegram.
            media_kind=kind,
            media=self.media_json(info, kind),
            file_id=info.file_id,
        )
        return self.message_json(msg)

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendPhoto", params)

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendDocument", params)

    async def _m_sendvoice(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendVoice", params)

    async def _m_sendaudio(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendAudio", params)

    async def _m_sendvideo(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendVideo", params)

    async def _m_sendcontact(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        place = self._place(chat, params)
        contact = {
            "phone_number": str(params["phone_number"]),
            "first_name": str(params["first_name"]),
        }
        if params.get("last_name"):
            contact["last_name"] = str(params["last_name"])
        msg = self._bot_send(chat, place, media_kind="contact", media=contact)
        return self.message_json(msg)

    def _source_message(self, params: dict[str, Any], what: str) -> Message:
        try:
            source_chat = self._chat(params["from_chat_id"], for_sending=False)
        except ApiError as err:
            if err.code == 403:
                raise bad("chat not found") from err
            raise
        src = source_chat.messages.get(params["message_id"])
        if src is None or src.deleted:
            raise bad(f"message to {what} not found")
        if src.service or src.uncopyable:
            raise bad(f"message can't be {'copied' if what == 'copy' else 'forwarded'}")
        return src

    async def _m_copymessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        src = self._source_message(params, "copy")
        place = self._place(chat, params)
        content = copied_content(src)
        caption, caption_entities = src.caption, src.caption_entities
        if "caption" in params and src.media_kind not in (None, "contact"):
            content["raw"] = str(params["caption"])
            caption, caption_entities = parse_text(
                content["raw"],
                params.get("parse_mode"),
                params.get("caption_entities"),
                caption=True,
            )
        content.update(caption=caption or None, caption_entities=list(caption_entities))
        msg = self._bot_send(chat, place, **content)
        return {"message_id": msg.message_id}

    async def _m_forwardmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        src = self._source_message(params, "forward")
        place = self._place(chat, params, replies=False)
        msg = self._bot_send(
            chat, place, forward_origin=self._origin_of(src), **copied_content(src)
        )
        return self.message_json(msg)

    def _origin_of(self, src: Message) -> dict[str, Any]:
        """forward_origin of a forward of `src` (kept if it is a forward itself)."""
        if src.forward_origin is not None:
            return src.forward_origin
        if src.sender_chat_id is not None:
            return {
                "type": "chat",
                "date": src.date,
                "sender_chat": self.chat_json(self.chats[src.sender_chat_id]),
            }
        return {"type": "user", "date": src.date, "sender_user": self.user_json(src.from_id or 0)}

    # ----------------------------------------------------------------- editing and the rest

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        if msg.text is None:
            raise bad("there is no text in the message to edit")
        markup = check_markup(params.get("reply_markup"), chat, inline_only=True)
        raw = str(params["text"])
        text, entities = parse_text(
            raw, params.get("parse_mode"), params.get("entities"), caption=False
        )
        if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise bad(NOT_MODIFIED)
        return self._bot_edit(
            chat,
            msg,
            text=text,
            entities=entities,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
        )

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        if msg.media_kind in (None, "contact"):
            raise bad("there is no caption in the message to edit")
        markup = check_markup(params.get("reply_markup"), chat, inline_only=True)
        raw = str(params.get("caption") or "")
        caption, entities = parse_text(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        if (
            (caption or None) == msg.caption
            and entities == msg.caption_entities
            and markup == msg.reply_markup
        ):
            raise bad(NOT_MODIFIED)
        return self._bot_edit(
            chat,
            msg,
            caption=caption or None,
            caption_entities=entities,
            raw=raw,
            reply_markup=markup,
        )

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        markup = check_markup(params.get("reply_markup"), chat, inline_only=True)
        if markup == msg.reply_markup or (
            markup is None
            and (msg.reply_markup is None or "inline_keyboard" not in msg.reply_markup)
        ):
            raise bad(NOT_MODIFIED)
        return self._bot_edit(chat, msg, reply_markup=markup)

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad("message to delete not found")
        if msg.from_id != self.bot.id and not self._bot_is_admin(chat):
            raise bad("message can't be deleted")
        if msg.service and "forum_topic_created" in msg.service:
            raise bad("message can't be deleted")
        msg.deleted = True
        self._event("delete", msg)
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        check_thread(chat, params.get("message_thread_id"))
        if params["action"] not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query = self.callback_queries.get(str(params["callback_query_id"]))
        now = time.monotonic()
        if query is None or query.answered or now - query.created > self.callback_timeout:
            raise bad(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
        }
        return True

    async def _m_setmessagereaction(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise bad("message to react not found")
        return True

    def _find_message(self, params: dict[str, Any], what: str) -> tuple[Chat, Message]:
        """Locate the message an edit refers to (chat_id + message_id)."""
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the emulator")
        if params.get("chat_id") is None:
            raise bad("chat_id is empty")
        if params.get("message_id") is None:
            raise bad("message_id is empty")
        chat = self._chat(params["chat_id"])
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted or msg.service:
            raise bad(f"message to {what} not found")
        if msg.from_id != self.bot.id:
            raise bad("message can't be edited")
        return chat, msg
