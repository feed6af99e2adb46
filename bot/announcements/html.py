"""Telegram's HTML, checked before anything is sent: the tags Telegram knows, properly nested
and closed, `<` and `&` only as tags or entities; and the visible text's length as
Telegram counts it (UTF-16 units after the markup is parsed, at most 4096 per message)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TEXT_LIMIT = 4096

_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
    "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
})  # fmt: skip
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8});")
_START = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_END = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


@dataclass(frozen=True)
class Checked:
    """A text's visible part (markup parsed) and what is wrong with it, if anything."""

    visible: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_html(text: str) -> Checked:
    """Parse like Telegram does; `problem` says (in English, for logs and `content check`)
    what Telegram would refuse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            end = _END.match(text, i)
            if end is not None:
                name = end.group(1).lower()
                if not stack or stack[-1] != name:
                    expected = f"</{stack[-1]}>" if stack else "no closing tag"
                    return Checked(
                        "".join(out),
                        f"unexpected </{name}> at character {i + 1} (expected {expected})",
                    )
                stack.pop()
                i = end.end()
                continue
            start = _START.match(text, i)
            if start is None:
                return Checked("".join(out), f"a '<' at character {i + 1} is not a tag: write &lt;")
            name = start.group(1).lower()
            if name not in _TAGS:
                return Checked("".join(out), f"unsupported tag <{name}> at character {i + 1}")
            attrs = {
                m.group(1).lower(): (m.group(2) or "").strip("\"'")
                for m in _ATTR.finditer(start.group(2))
            }
            if name == "span" and attrs.get("class") != "tg-spoiler":
                return Checked(
                    "".join(out), f'<span> needs class="tg-spoiler" at character {i + 1}'
                )
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                return Checked("".join(out), f"<tg-emoji> without emoji-id at character {i + 1}")
            stack.append(name)
            i = start.end()
            continue
        if ch == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                return Checked(
                    "".join(out), f"a '&' at character {i + 1} is not an entity: write &amp;"
                )
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
            continue
        out.append(ch)
        i += 1
    if stack:
        return Checked("".join(out), f"<{stack[-1]}> is not closed")
    visible = "".join(out)
    if not visible.strip():
        return Checked(visible, "the text is empty")
    return Checked(visible)


def length_problem(visible: str, reserve: int = 0) -> str | None:
    """Over Telegram's limit (with `reserve` units kept for a footer)?"""
    size = utf16_len(visible) + reserve
    if size > TEXT_LIMIT:
        return f"{size} characters as Telegram counts them (UTF-16), more than {TEXT_LIMIT}"
    return None
