"""Telegram-strict parsing of parse_mode=HTML text into plain text plus MessageEntity dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SUPPORTED_TAGS",
    "EntityParseError",
    "parse_html",
    "strip_text",
    "utf16_len",
]

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip

_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_WHITESPACE = " \t\n\r\u00a0\u2028\u2029"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; str(err) is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    byte_offset: int
    utf16_start: int
    attrs: dict[str, str] = field(default_factory=dict)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the character reference starting at text[i] == '&' -> (char, end index)."""
    m = _ENTITY_RE.match(text, i)
    if m is None:
        return None
    if m.group(1):
        return _NAMED_ENTITIES[m.group(1)], m.end()
    code = int(m.group(2), 10) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _decode_attr_value(raw: str) -> str:
    """Attribute values are decoded leniently, as Telegram does."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&":
            dec = _decode_entity(raw, i)
            if dec is not None:
                out.append(dec[0])
                i = dec[1]
                continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def _parse_start_tag(text: str, i: int) -> tuple[_OpenTag, int, bool]:
    """Parse '<name attrs>' at text[i] == '<'; return tag, index after '>', expandable flag."""
    begin = i
    i += 1
    n = len(text)
    name_start = i
    while i < n and text[i] not in _WHITESPACE and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    name = text[name_start:i].lower()
    if name not in SUPPORTED_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
        )
    attrs: dict[str, str] = {}
    expandable = False
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            i += 1
            break
        attr_start = i
        while i < n and text[i] not in _WHITESPACE and text[i] not in "=>":
            i += 1
        attr_name = text[attr_start:i].lower()
        if not attr_name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n or text[i] != "=":
            # Only <blockquote expandable> may carry a bare attribute.
            if name == "blockquote" and attr_name == "expandable":
                expandable = True
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            raw_value = text[i + 1 : end]
            i = end + 1
        else:
            value_start = i
            while i < n and text[i] not in _WHITESPACE and text[i] != ">":
                i += 1
            raw_value = text[value_start:i]
        attrs[attr_name] = _decode_attr_value(raw_value)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError(
            f"Custom emoji entity must have a valid emoji-id at byte offset "
            f"{_byte_offset(text, begin)}"
        )
    return _OpenTag(name, _byte_offset(text, begin), 0, attrs), i, expandable


def _entity_for(tag: _OpenTag, offset: int, length: int, expandable: bool) -> dict[str, Any] | None:
    if tag.name in _SIMPLE_TYPES:
        return {"type": _SIMPLE_TYPES[tag.name], "offset": offset, "length": length}
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if expandable else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    if tag.name == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": offset,
            "length": length,
            "custom_emoji_id": tag.attrs["emoji-id"],
        }
    # <a>: an empty or missing href makes plain text, like Telegram.
    href = tag.attrs.get("href", "").strip()
    if not href:
        return None
    m = re.fullmatch(r"tg://user\?id=(\d+)", href)
    if m:
        return {
            "type": "text_mention",
            "offset": offset,
            "length": length,
            "user": {"id": int(m.group(1)), "is_bot": False, "first_name": ""},
        }
    return {"type": "text_link", "offset": offset, "length": length, "url": href}


def _postprocess(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold <pre><code class="language-x"> into pre.language and drop entities inside code/pre."""
    result: list[dict[str, Any]] = []
    # Outer entities first; on equal spans "pre" wraps "code".
    entities = sorted(entities, key=lambda e: (e["offset"], -e["length"], e["type"] != "pre"))
    for ent in entities:
        container = next(
            (
                r
                for r in result
                if r["type"] in ("code", "pre")
                and r["offset"] <= ent["offset"]
                and ent["offset"] + ent["length"] <= r["offset"] + r["length"]
            ),
            None,
        )
        if container is not None:
            if (
                container["type"] == "pre"
                and ent["type"] == "code"
                and ent.get("_language")
                and ent["offset"] == container["offset"]
                and ent["length"] == container["length"]
            ):
                container["language"] = ent["_language"]
            continue
        result.append(ent)
    for ent in result:
        ent.pop("_language", None)
    return result


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError like Telegram."""
    out: list[str] = []
    utf16_pos = 0
    stack: list[tuple[_OpenTag, bool]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "&":
            dec = _decode_entity(text, i)
            if dec is None:
                # Telegram tolerates some stray '&'; we reject them so escaping bugs surface.
                raise EntityParseError(
                    f'Unescaped "&" or unsupported character entity at byte offset '
                    f"{_byte_offset(text, i)}; use &amp;"
                )
            out.append(dec[0])
            utf16_pos += utf16_len(dec[0])
            i = dec[1]
            continue
        if c != "<":
            out.append(c)
            utf16_pos += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        if i + 1 < n and text[i + 1] == "/":
            begin = i
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            i += 2
            name_start = i
            while i < n and text[i] not in _WHITESPACE and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _WHITESPACE:
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            tag, expandable = stack.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            length = utf16_pos - tag.utf16_start
            if length > 0:
                ent = _entity_for(tag, tag.utf16_start, length, expandable)
                if ent is not None:
                    if tag.name == "code":
                        cls = tag.attrs.get("class", "")
                        if cls.startswith("language-") and len(cls) > len("language-"):
                            ent["_language"] = cls[len("language-") :]
                    entities.append(ent)
            continue
        tag, i, expandable = _parse_start_tag(text, i)
        tag.utf16_start = utf16_pos
        stack.append((tag, expandable))
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1][0].name}"'
        )
    return "".join(out), _postprocess(entities)


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does, shifting and clipping entities."""
    stripped_left = text.lstrip(_WHITESPACE)
    lead = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_WHITESPACE)
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            fixed.append({**ent, "offset": start, "length": end - start})
    return result, fixed
