"""Text normalisation for search: one form for indexing and querying, so diacritics,
Azerbaijani/Turkish letters, ё/й and Persian/Arabic letter variants do not matter."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose, and Arabic-script variants people type
# interchangeably (an Arabic keyboard gives ي/ك, a Persian one ی/ک).
_FOLDS: tuple[tuple[str, str], ...] = (
    ("ə", "e"),
    ("ı", "i"),
    ("ي", "ی"),
    ("ى", "ی"),
    ("ك", "ک"),
    ("ة", "ه"),
    ("ۀ", "ه"),
    ("ـ", ""),  # tatweel only stretches a word
    ("\u200c", " "),  # ZWNJ joins parts of a Persian word that people also type apart
    ("\u200d", ""),
    ("\u200e", ""),
    ("\u200f", ""),
    ("\u00ad", ""),
    *((chr(0x06F0 + i), str(i)) for i in range(10)),  # Persian digits
    *((chr(0x0660 + i), str(i)) for i in range(10)),  # Arabic-Indic digits
)
# Combining marks (accents, Arabic harakat) of the Basic Multilingual Plane.
_COMBINING = re.compile(
    "["
    + "".join(re.escape(chr(cp)) for cp in range(0x0300, 0x10000) if unicodedata.combining(chr(cp)))
    + "]+"
)
_NON_WORD = re.compile(r"[\W_]+")

# Russian ЙЦУКЕН and US QWERTY share key positions: text typed with the wrong layout
# active is recovered by mapping each key to the other layout's character.
_LATIN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
_RUSSIAN_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю."
_TO_RUSSIAN = str.maketrans(_LATIN_KEYS, _RUSSIAN_KEYS)
_TO_LATIN = str.maketrans(_RUSSIAN_KEYS, _LATIN_KEYS)
_LATIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_RUSSIAN_LETTERS = frozenset(_RUSSIAN_KEYS) - {"."}


def normalize(text: str) -> str:
    """Casefold, strip diacritics, fold letter variants and punctuation; single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():
        folded = _COMBINING.sub("", folded)
        # A few str.replace scans in C beat a per-character translate() on long answers.
        for old, new in _FOLDS:
            if old in folded:
                folded = folded.replace(old, new)
    return _NON_WORD.sub(" ", folded).strip()


def swap_layout(text: str) -> str | None:
    """The text as if typed on the other keyboard layout (QWERTY <-> ЙЦУКЕН), or None.

    Only plain ASCII-Latin or plain Russian text is converted: Azerbaijani or Turkish
    letters show the person used their own layout on purpose.
    """
    lowered = text.casefold()
    letters = [ch for ch in lowered if ch.isalpha()]
    if not letters:
        return None
    if all(ch in _LATIN_LETTERS for ch in letters):
        return lowered.translate(_TO_RUSSIAN)
    if all(ch in _RUSSIAN_LETTERS for ch in letters):
        return lowered.translate(_TO_LATIN)
    return None


def tokens(text: str) -> list[str]:
    """Normalised words of a text."""
    return normalize(text).split()


# Russian typed in Latin letters ("vid na zhitelstvo", "shkola dlya detey"): the common
# phone transliteration, longest letter groups first. Only plain ASCII text is converted.
_TRANSLIT: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ye", "е"), ("iy", "ий"),
    ("yy", "ый"), ("ay", "ай"), ("ey", "ей"), ("oy", "ой"), ("uy", "уй"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"),
    ("c", "ц"), ("w", "в"), ("x", "кс"), ("q", "к"), ("y", "ы"), ("'", "ь"),
)
_TRANSLIT_RE = re.compile("|".join(re.escape(latin) for latin, _ in _TRANSLIT))
_TRANSLIT_MAP = dict(_TRANSLIT)


def latin_to_cyrillic(text: str) -> str | None:
    """Russian written in Latin letters, back in Cyrillic; None unless the text is plain ASCII."""
    lowered = text.casefold()
    if not lowered.isascii() or not any(ch.isalpha() for ch in lowered):
        return None
    return _TRANSLIT_RE.sub(lambda m: _TRANSLIT_MAP[m.group(0)], lowered)
