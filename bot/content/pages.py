"""Answer pages: an answer splits on lines that are exactly `---`; each page is one message."""

from __future__ import annotations

# A page plus its source footer must fit Telegram's 4096-character message limit.
MAX_PAGE_CHARS = 3500
# A title becomes a button label; longer ones are cut off by Telegram clients.
MAX_TITLE_CHARS = 60
PAGE_BREAK = "---"


def split_pages(answer: str) -> tuple[str, ...]:
    """Split an answer into non-empty, stripped pages on `---` lines."""
    pages: list[str] = []
    current: list[str] = []
    for line in answer.splitlines():
        if line.rstrip() == PAGE_BREAK:
            pages.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    pages.append("\n".join(current).strip())
    return tuple(page for page in pages if page)


def chunk(text: str, limit: int = MAX_PAGE_CHARS) -> list[str]:
    """Cut text that is too long into pieces of at most `limit`, at paragraph or line ends."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        # Prefer a paragraph break, then a line break, then a space, so words stay whole.
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= limit // 4:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
