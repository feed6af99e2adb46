"""Random but valid updates of every kind, generated from the Bot API's own schema.

The schema is tests/fixtures/botapi/types.json (cut from the published api.json by
extract.py there). Each update is built type by type from it: required fields always,
optional ones now and then, enumerations from the spec's own wording, one content kind per
message. What refers to the world (who writes, in which chat, which message a button is
under) is taken from the emulator, so the bot's answers can be checked there.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.emulator import PERSON_CONTENT_FIELDS, Emulator

SCHEMA = Path(__file__).parent / "fixtures" / "botapi" / "types.json"
# Message fields that are a message's content or make it a service message: one per message.
_META = {
    "message_id",
    "message_thread_id",
    "direct_messages_topic",
    "from",
    "sender_chat",
    "sender_boost_count",
    "sender_business_bot",
    "sender_tag",
    "date",
    "business_connection_id",
    "chat",
    "forward_origin",
    "is_topic_message",
    "is_automatic_forward",
    "reply_to_message",
    "external_reply",
    "quote",
    "reply_to_story",
    "reply_to_checklist_task_id",
    "via_bot",
    "edit_date",
    "has_protected_content",
    "is_from_offline",
    "is_paid_post",
    "media_group_id",
    "author_signature",
    "paid_star_count",
    "entities",
    "link_preview_options",
    "suggested_post_info",
    "effect_id",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "reply_markup",
    "paid_message_price",
    "suggested_post_parameters",
}
_PREFIXES = [
    "m:",
    "f:",
    "h:",
    "e:",
    "l:",
    "a:",
    "g:",
    "q:",
    "qb:",
    "qx:",
    "r:",
    "i:",
    "p:",
    "c:",
    "",
]
_TEXTS = [
    "hello",
    "/start",
    "/help",
    "/delete",
    "/case 1",
    "work permit",
    "پاسپورت",
    "паспорт",
    "<b>&amp;*",
    "😀" * 5,
    "ж" * 300,
    "",
    " ",
    "1",
    "yes",
]


def load_types() -> dict[str, dict[str, Any]]:
    types: dict[str, dict[str, Any]] = json.loads(SCHEMA.read_text(encoding="utf-8"))["types"]
    return types


@dataclass
class World:
    """Who and where: private chats of people, the staff group, a stranger's group, a channel."""

    people: list[int]
    staff_chat: int
    staff_members: list[int]
    other_group: int
    channel: int


@dataclass
class Generator:
    emu: Emulator
    world: World
    rng: random.Random
    types: dict[str, dict[str, Any]] = field(default_factory=load_types)

    # -- what an update kind is -------------------------------------------------------------

    def update_kinds(self) -> list[str]:
        return [f["name"] for f in self.types["Update"]["fields"] if f["name"] != "update_id"]

    def message_kinds(self) -> list[str]:
        return [f["name"] for f in self.types["Message"]["fields"] if f["name"] not in _META]

    # -- the world's objects ------------------------------------------------------------------

    def _chat(self, where: str) -> dict[str, Any]:
        emu, world = self.emu, self.world
        chat_id = {
            "private": lambda: self.rng.choice(world.people),
            "staff": lambda: world.staff_chat,
            "group": lambda: world.other_group,
            "channel": lambda: world.channel,
        }[where]()
        return emu.chat_json(emu.chats[chat_id])

    def _sender(self, chat: dict[str, Any]) -> dict[str, Any]:
        if chat["type"] == "private":
            return self.emu.user_json(chat["id"])
        if chat["id"] == self.world.staff_chat:
            return self.emu.user_json(self.rng.choice(self.world.staff_members))
        return self.emu.user_json(self.rng.choice(self.world.people))

    def _where(self) -> str:
        return self.rng.choices(["private", "staff", "group", "channel"], [6, 2, 1, 1])[0]

    # -- generic values from the schema ------------------------------------------------------

    def value(
        self, type_expr: str, field_name: str, depth: int, enum: list[str] | None = None
    ) -> Any:
        arrays = 0
        while type_expr.startswith("Array of "):
            type_expr = type_expr[len("Array of ") :]
            arrays += 1
        if arrays:
            return [
                self.value(("Array of " * (arrays - 1)) + type_expr, field_name, depth + 1, enum)
                for _ in range(self.rng.randint(1, 2))
            ]
        if enum:
            return self.rng.choice(enum)
        if type_expr == "Integer":
            if field_name.endswith("date") or field_name in ("date",):
                return int(time.time()) - self.rng.randint(0, 3600)
            return self.rng.randint(1, 10_000)
        if type_expr == "Float":
            return round(self.rng.uniform(-90, 90), 5)
        if type_expr == "Boolean":
            return self.rng.random() < 0.5
        if type_expr == "True":
            return True
        if type_expr == "String":
            if field_name.endswith("file_id") or field_name.endswith("file_unique_id"):
                return f"F{self.rng.randint(1, 10**9)}"
            if field_name == "emoji":
                return self.rng.choice(["🎲", "🎯", "🏀", "⚽", "🎳", "🎰"])
            if field_name.endswith("url"):
                return "https://example.org/x"
            return self.rng.choice(_TEXTS) or "x"
        if type_expr == "Chat":
            return self._chat(self._where())
        if type_expr == "User":
            return self.emu.user_json(self.rng.choice(self.world.people))
        if type_expr == "Message" or type_expr == "MaybeInaccessibleMessage":
            if depth > 2:
                return self.inaccessible(self._chat(self._where()))
            return self.message(self._chat(self._where()), depth + 1)
        return self.obj(type_expr, depth + 1)

    def obj(self, type_name: str, depth: int) -> Any:
        entry = self.types.get(type_name)
        if entry is None:  # a subtype that is a plain value ("String" among "InputFile or String")
            return self.value(type_name, "", depth)
        if "subtypes" in entry:
            return self.obj(self.rng.choice(entry["subtypes"]), depth)
        out: dict[str, Any] = {}
        for f in entry["fields"]:
            if not f["required"] and (depth > 3 or self.rng.random() > 0.25):
                continue
            out[f["name"]] = self.value(
                self.rng.choice(f["types"]), f["name"], depth, f.get("enum")
            )
        return out

    # -- messages, presses, updates ------------------------------------------------------------

    def inaccessible(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {"chat": chat, "message_id": self.rng.randint(1, 10**6), "date": 0}

    def message(
        self, chat: dict[str, Any], depth: int = 0, content: str | None = None
    ) -> dict[str, Any]:
        kind = content or self.rng.choice(self.message_kinds())
        chat_state = self.emu.chats[chat["id"]]
        msg: dict[str, Any] = {
            "message_id": chat_state.take_message_id(),
            "date": int(time.time()),
            "chat": chat,
        }
        if chat["type"] != "channel":
            msg["from"] = self._sender(chat)
        spec = next(f for f in self.types["Message"]["fields"] if f["name"] == kind)
        msg[kind] = self.value(self.rng.choice(spec["types"]), kind, depth + 1, spec.get("enum"))
        if kind in PERSON_CONTENT_FIELDS and kind not in ("text",) and self.rng.random() < 0.3:
            msg["caption"] = self.rng.choice(_TEXTS) or "caption"
        if kind == "text" and isinstance(msg["text"], str) and msg["text"].startswith("/"):
            command = msg["text"].split()[0]
            msg["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
        return msg

    def press(self) -> dict[str, Any]:
        where = self.rng.choices(["private", "staff", "group"], [6, 3, 1])[0]
        chat = self._chat(where)
        sender = self._sender(chat)
        bot_messages = [
            m
            for m in self.emu.chats[chat["id"]].messages.values()
            if m.from_id == self.emu.bot.id and not m.deleted
        ]
        if bot_messages and self.rng.random() < 0.8:
            message = self.emu.message_json(self.rng.choice(bot_messages))
        else:
            message = self.inaccessible(chat)
        prefix = self.rng.choice(_PREFIXES)
        data = prefix + self.rng.choice(
            ["", "1", "x", "documents", "doc.passport", "ok", "del:ok", "1:claim"]
        )
        return {
            "id": str(self.rng.randint(1, 2**62)),
            "from": sender,
            "message": message,
            "chat_instance": str(self.rng.randint(1, 10**9)),
            "data": data[:64] or "x",
        }

    def update(self, kind: str, content: str | None = None) -> dict[str, Any]:
        if kind in ("message", "edited_message"):
            where = self._where()
            if where == "channel":
                where = "private"
            msg = self.message(self._chat(where), content=content)
            if kind == "edited_message":
                msg["edit_date"] = int(time.time())
            return msg
        if kind in ("business_message", "edited_business_message"):
            msg = self.message(self._chat("private"), content=content)
            msg["business_connection_id"] = "bc-" + str(self.rng.randint(1, 10**6))
            return msg
        if kind in ("channel_post", "edited_channel_post"):
            return self.message(self._chat("channel"), content=content)
        if kind == "callback_query":
            return self.press()
        spec = next(f for f in self.types["Update"]["fields"] if f["name"] == kind)
        type_name = re.sub(r"^(Array of )+", "", spec["types"][0])
        return self.obj(type_name, 1)
