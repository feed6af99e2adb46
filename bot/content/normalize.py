"""Text normalisation for search with the rules of the pack this process serves.

The rules themselves (letters typed interchangeably, stop words, keyboard layouts,
transliteration) are data: `text/<lang>/language.yaml` in the pack, combined in
`bot.content.textrules.TextRules`. The search index and the intents use their own pack's
rules; these module-level functions, and callers that have no pack at hand (typed answers),
use the served ones: those of CONTENT_DIR (default: content/) until the content service
serves a pack, and that pack's after every load and reload.
"""

from __future__ import annotations

import threading

from bot.content.loader import default_content_dir, read_text_rules
from bot.content.textrules import TextRules

_served: TextRules | None = None
_lock = threading.Lock()


def served() -> TextRules:
    """The text rules of the served pack (read from CONTENT_DIR on first use)."""
    global _served
    if _served is None:
        with _lock:
            if _served is None:
                root = default_content_dir()
                _served = read_text_rules(root) if root.is_dir() else TextRules()
    return _served


def serve(rules: TextRules) -> None:
    """Use these rules from now on (the content service, after it loaded a pack)."""
    global _served
    _served = rules


def normalize(text: str) -> str:
    """Casefold, strip diacritics, fold letter variants and punctuation; single spaces."""
    return served().normalize(text)


def tokens(text: str) -> list[str]:
    """Normalised words of a text."""
    return served().tokens(text)


def swap_layout(text: str) -> str | None:
    """The text as if typed on the other keyboard layout (QWERTY <-> ЙЦУКЕН), or None."""
    variants = served().layout_variants(text)
    return variants[0] if variants else None


def latin_to_cyrillic(text: str) -> str | None:
    """Text typed in Latin letters, in the letters of the first language that has a
    transliteration table (Russian in the shipped pack); None unless plain ASCII."""
    rules = served()
    for lang in rules.transliterated():
        return rules.transliterate(text, lang)
    return None
