"""Right-to-left text: left-to-right runs isolated at render time, so authors never type marks.

In Persian text a phone number ("+994 51 207 59 96"), a time range ("9:00-17:00"), a date or
a Latin name ("UNHCR", "State Migration Service") is shown in the wrong order unless it is
isolated. Every message that contains right-to-left letters has each such run wrapped in
LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE (U+2066 ... U+2069) just before it is sent.
Markup is never touched: tags and entities stay as they are, text already isolated (dates and
numbers from `Tr`) is left alone. One pass over the text with precompiled patterns.
"""

from __future__ import annotations

import re

LRI, FSI, RLI, PDI = "\u2066", "\u2068", "\u2067", "\u2069"
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# HTML tags, entities and spans already isolated are copied as they are.
_KEEP = re.compile(r"<[^>]*>|&#?\w+;|[\u2066\u2067\u2068][^\u2069]*\u2069")
# A left-to-right run: Latin (or Cyrillic) letters and European digits, with the signs that
# sit inside numbers, phones, dates, times and names; it starts with "(" or "+" or a strong
# character and ends on a letter, a digit or a closing ")".
_STRONG = r"A-Za-z0-9\u00c0-\u024f\u0400-\u04ff"
_RUN = re.compile(rf"[(+]?[{_STRONG}](?:[{_STRONG}.,:;/+\-–_@#%'’ ()]*[{_STRONG})])?")


def has_rtl(text: str) -> bool:
    """Whether the text has right-to-left letters (Persian, Arabic, Hebrew ...)."""
    return _RTL.search(text) is not None


def _isolate_plain(text: str) -> str:
    return _RUN.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)


def isolate_html(html: str) -> str:
    """The HTML with every left-to-right run isolated, if it has right-to-left text at all."""
    if not has_rtl(_KEEP.sub("", html)):
        return html
    out: list[str] = []
    last = 0
    for keep in _KEEP.finditer(html):
        out.append(_isolate_plain(html[last : keep.start()]))
        out.append(keep.group(0))
        last = keep.end()
    out.append(_isolate_plain(html[last:]))
    return "".join(out)


def isolate_label(label: str) -> str:
    """A button label (plain text) with its left-to-right runs isolated in right-to-left text."""
    if not has_rtl(label):
        return label
    out: list[str] = []
    last = 0
    for keep in re.finditer(r"[\u2066\u2067\u2068][^\u2069]*\u2069", label):
        out.append(_isolate_plain(label[last : keep.start()]))
        out.append(keep.group(0))
        last = keep.end()
    out.append(_isolate_plain(label[last:]))
    return "".join(out)


_TAG = re.compile(r"<[^>]*>")


def plain_units(html_text: str) -> int:
    """UTF-16 units of what Telegram counts: the text after its HTML is parsed."""
    import html as _html

    from bot.ui.screen import utf16_len

    return utf16_len(_html.unescape(_TAG.sub("", html_text)))


def isolated_pieces(header_html: str, text: str, limit: int) -> list[str]:
    """`text` (plain) escaped under `header_html`, isolated for right-to-left reading and cut
    so that every piece fits `limit` units as Telegram counts them (isolation marks count)."""
    from bot.ui.screen import chunks, esc

    out: list[str] = []
    pending = chunks(text, max(1, limit - plain_units(header_html) - 2))
    while pending:
        piece = pending.pop(0)
        message = isolate_html(f"{header_html}\n\n{esc(piece)}")
        if plain_units(message) > limit and len(piece) > 1:
            half = len(piece) // 2
            pending[:0] = [piece[:half], piece[half:]]
            continue
        out.append(message)
    return out
