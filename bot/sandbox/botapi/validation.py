"""Checks a Bot API call's parameters as Telegram does: wire types, required parameters,
threads, replies, keyboards and formatted text. Plain functions over the data model."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.botapi.errors import bad
from bot.sandbox.botapi.spec import (
    BOOL_FIELDS,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    CHAT_ID_FIELDS,
    EMPTY_ALLOWED,
    FILE_FIELDS,
    INLINE_ACTIONS,
    INT_FIELDS,
    JSON_FIELDS,
    REQUIRED,
    TEXT_LIMIT,
)
from bot.sandbox.botapi.state import Chat, Upload
from bot.sandbox.html import EntityParseError, parse_html, strip_text, utf16_len


def coerce_params(
    method: str, params: dict[str, Any], uploads: dict[str, Upload]
) -> dict[str, Any]:
    """Turn wire values into typed ones and enforce required parameters."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        out[name] = coerce_value(name, value, uploads)
    for name, upload in uploads.items():
        if name in FILE_FIELDS and name not in out:
            out[name] = upload
    for name in REQUIRED[method]:
        value = out.get(name)
        if value == "" and (method, name) in EMPTY_ALLOWED:
            continue
        if value is None or value == "" or value == []:
            raise bad("message text is empty" if name == "text" else f"{name} is empty")
    return out


def coerce_value(name: str, value: Any, uploads: dict[str, Upload]) -> Any:
    """Parse one wire value by its Bot API type (form fields arrive as strings)."""
    if name in FILE_FIELDS:
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad(f"can't find attached file {value!r}")
            return upload
        return value
    if name in CHAT_ID_FIELDS:
        if isinstance(value, bool):
            raise bad(f"{name} is empty")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return text
    if name in INT_FIELDS:
        if isinstance(value, bool) or isinstance(value, float | list | dict):
            raise bad(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text == "":
            return None
        if not text.lstrip("-").isdigit():
            raise bad(f'field "{name}" must be of type Integer')
        return int(text)
    if name in BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")
    if name in JSON_FIELDS:
        if isinstance(value, str):
            if value.strip() == "":
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                what = "reply keyboard markup" if name == "reply_markup" else name
                raise bad(f"can't parse {what} JSON object") from exc
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def check_thread(chat: Chat, thread_id: int | None) -> tuple[int | None, bool]:
    """Validate message_thread_id; returns (thread_id, is_topic_message)."""
    if thread_id is None or thread_id == 0:
        return None, False
    if chat.is_forum:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad("message thread not found")
        if topic.closed:
            raise bad("TOPIC_CLOSED")
        return thread_id, True
    root = chat.messages.get(thread_id)
    if chat.type == "private" or root is None or root.deleted:
        raise bad("message thread not found")
    return thread_id, False


def check_reply(chat: Chat, params: dict[str, Any]) -> int | None:
    reply = params.get("reply_parameters")
    target: Any = None
    allow_without = bool(params.get("allow_sending_without_reply"))
    if isinstance(reply, dict):
        target = reply.get("message_id")
        allow_without = bool(reply.get("allow_sending_without_reply", allow_without))
        other = reply.get("chat_id")
        if other is not None and str(other) != str(chat.id):
            raise bad("cross-chat replies are not supported by the emulator")
    elif reply is not None:
        raise bad("can't parse reply parameters JSON object")
    elif params.get("reply_to_message_id") is not None:
        target = params["reply_to_message_id"]
    if target is None:
        return None
    try:
        target = int(target)
    except (TypeError, ValueError) as exc:
        raise bad("message to be replied not found") from exc
    msg = chat.messages.get(target)
    if msg is None or msg.deleted:
        if allow_without:
            return None
        raise bad("message to be replied not found")
    return target


def check_markup(
    markup: Any, chat: Chat | None, *, inline_only: bool = False
) -> dict[str, Any] | None:
    """Validate reply_markup like Telegram; returns the normalized markup."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad(
                "can't parse inline keyboard button: "
                "InlineKeyboardMarkup must be an Array of Arrays"
            )
        total = 0
        for row in rows:
            for button in row:
                total += 1
                check_inline_button(button)
        if total > 100:
            raise bad("reply markup is too long")
        return markup if total else None
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad("can't parse keyboard: keyboard must be an Array of Arrays")
        for row in rows:
            for button in row:
                text = (
                    button
                    if isinstance(button, str)
                    else (button.get("text") if isinstance(button, dict) else None)
                )
                if not isinstance(text, str) or not text.strip():
                    raise bad("keyboard button text is empty")
                wants_phone = isinstance(button, dict) and (
                    button.get("request_contact") or button.get("request_location")
                )
                if wants_phone and chat is not None and chat.type != "private":
                    raise bad("phone number can be requested in private chats only")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad("can't parse reply keyboard markup JSON object")


def check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad("BUTTON_TEXT_INVALID")
    actions = [k for k in INLINE_ACTIONS if button.get(k) is not None]
    if len(actions) != 1:
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise bad("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def parse_text(
    raw: str, parse_mode: Any, entities: Any, *, caption: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode/entities, trim, and enforce Telegram's length limits."""
    mode = (parse_mode or "").strip() if isinstance(parse_mode, str) else ""
    if entities is not None:
        if not isinstance(entities, list):
            raise bad("can't parse entities: entities must be an Array")
        ents = [dict(e) for e in entities if isinstance(e, dict)]
        total = utf16_len(raw)
        for ent in ents:
            off, length = ent.get("offset"), ent.get("length")
            if (
                not isinstance(off, int)
                or not isinstance(length, int)
                or off < 0
                or length < 0
                or off + length > total
            ):
                raise bad("can't parse entities: entity beyond the end of the text")
        text = raw
    elif not mode:
        text, ents = raw, []
    elif mode.lower() == "html":
        try:
            text, ents = parse_html(raw)
        except EntityParseError as err:
            raise bad(f"can't parse entities: {err}") from err
    elif mode.lower() in ("markdown", "markdownv2"):
        raise bad(f"parse_mode {mode} not supported by the emulator")
    else:
        raise bad(f"unsupported parse_mode {mode}")
    text, ents = strip_text(text, ents)
    if caption:
        if utf16_len(text) > CAPTION_LIMIT:
            raise bad("message caption is too long")
    else:
        if not text:
            raise bad("message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise bad("message is too long")
    return text, ents


def valid_command(name: str) -> bool:
    return (
        1 <= len(name) <= 32
        and all(c.islower() or c.isdigit() or c == "_" for c in name)
        and name.isascii()
    )


def commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)
