"""A screen is HTML text plus rows of buttons; handlers turn it into a Telegram message."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from bot.callbacks import LIMIT, fits

CALLBACK_LIMIT = LIMIT  # bytes, Telegram's limit for callback_data
TEXT_LIMIT = 4096  # UTF-16 units of a message's text, after entities are parsed
CAPTION_LIMIT = 1024  # UTF-16 units of a media caption


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # callback data
    url: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and not fits(self.data):
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {self.data!r}")


@dataclass(frozen=True)
class Screen:
    text: str  # HTML: every dynamic part escaped with esc()
    rows: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)

    def all_buttons(self) -> list[Button]:
        return [b for row in self.rows for b in row]


def esc(text: object) -> str:
    """Escape for Telegram HTML: a person's `<`, `&` or `*` must arrive as typed."""
    return html.escape(str(text), quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_prefix(text: str, units: int) -> int:
    """The longest prefix of `text`, in characters, that is at most `units` UTF-16 units."""
    if units <= 0:
        return 0
    if utf16_len(text) <= units:
        return len(text)
    lo, hi = units // 2, min(len(text), units)  # every character is one or two units
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if utf16_len(text[:mid]) <= units:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fit(lines: list[str], limit: int = 4000) -> str:
    """Join HTML lines, dropping whole lines from the end so the message fits (never cutting a
    tag); measured in UTF-16 units, as Telegram measures."""
    out: list[str] = []
    size = 0
    for line in lines:
        units = utf16_len(line)
        if size + units + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        size += units + 1
    return "\n".join(out)


def chunks(text: str, size: int) -> list[str]:
    """Plain text cut into pieces of at most `size` UTF-16 units, at line breaks where possible
    (never inside a character)."""
    pieces: list[str] = []
    while utf16_len(text) > size:
        limit = utf16_prefix(text, size)
        cut = text.rfind("\n", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


def clip(text: str, units: int) -> str:
    """At most `units` UTF-16 units of `text`, with an ellipsis when it was cut."""
    if utf16_len(text) <= units:
        return text
    return text[: utf16_prefix(text, units - 1)] + "…"


def rows_of(buttons: list[Button], per_row: int = 1) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
