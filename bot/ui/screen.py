"""A screen is HTML text plus rows of buttons; handlers turn it into a Telegram message."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # callback data
    url: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and len(self.data.encode()) > CALLBACK_LIMIT:
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


def fit(lines: list[str], limit: int = 4000) -> str:
    """Join HTML lines, dropping whole lines from the end so the message fits (never cutting a tag)."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 2:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def chunks(text: str, size: int) -> list[str]:
    """Plain text cut into pieces of at most `size` characters, at line breaks where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", size // 2, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


def rows_of(buttons: list[Button], per_row: int = 1) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
