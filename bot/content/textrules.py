"""How the pack's languages are written, as rules for matching what people type with the texts.

Each language's `text/<lang>/language.yaml` (read by the pack loader) gives its letters typed
interchangeably (folds), its words too common to search for (stop words), the negations that
still change what a phrase means, its keyboard layout, how it is typed in Latin letters
(transliteration), whether its words take endings (stemming) and its words for units of
time in typed durations. `TextRules` combines the
languages of one pack. Only what holds for every language is written here: casefolding,
Unicode decomposition, combining marks, invisible formatting characters and digits of any
script.

Texts of every language are searched together and a message may mix languages, so folds and
stop words apply to all text at once (one normalised form for indexing and querying).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Units of time in typed durations ("3 months", "1 год"), in days.
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}

# The keys a keyboard layout lists, in this order: the key left of 1 (` on a US keyboard),
# then the three letter rows left to right (qwertyuiop[] asdfghjkl;' zxcvbnm,./).
KEYBOARD_KEYS = 34

# Invisible characters that only shape or direct text, in every script.
_UNIVERSAL_FOLDS: tuple[tuple[str, str], ...] = (
    ("\u200d", ""),  # zero-width joiner
    ("\u200e", ""),  # left-to-right mark
    ("\u200f", ""),  # right-to-left mark
    ("\u00ad", ""),  # soft hyphen
)
# Combining marks (accents, Arabic harakat) of the Basic Multilingual Plane.
_COMBINING = re.compile(
    "["
    + "".join(re.escape(chr(cp)) for cp in range(0x0300, 0x10000) if unicodedata.combining(chr(cp)))
    + "]+"
)
# Decimal digits of every script (Persian ۱۵, Arabic-Indic ١٥, Devanagari ...) read as 0-9.
_DIGIT_VALUES = {
    chr(cp): str(unicodedata.decimal(chr(cp)))
    for cp in range(0x80, 0x10000)
    if unicodedata.category(chr(cp)) == "Nd"
}
_DIGITS = re.compile("[" + "".join(_DIGIT_VALUES) + "]")
_NON_WORD = re.compile(r"[\W_]+")


def decompose(text: str) -> str:
    """Casefolded and decomposed, without combining marks: what folds are applied to."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


@dataclass(frozen=True)
class LanguageRules:
    """One language's part of the rules, as its language.yaml gives them (validated)."""

    code: str
    stop_words: tuple[str, ...] = ()
    negations: tuple[str, ...] = ()
    folds: tuple[tuple[str, str], ...] = ()  # (one character, what it reads as)
    keyboard: str = ""  # KEYBOARD_KEYS characters, or "" for none
    transliteration: tuple[tuple[str, str], ...] = ()  # (Latin letters, this language's)
    stemming: bool = False
    alphabet: str = ""
    durations: tuple[tuple[str, str], ...] = ()  # (word, a unit of DAYS_PER_UNIT)
    duration_filler: tuple[str, ...] = ()  # words around a duration ("ago", "назад")


class TextRules:
    """The rules of one pack's languages; without any, only the universal ones."""

    def __init__(self, languages: Sequence[LanguageRules] = ()) -> None:
        self.languages = tuple(languages)
        folds: dict[str, str] = {}
        for lang in self.languages:
            for old, new in lang.folds:
                folds.setdefault(old, new)
        for old, new in _UNIVERSAL_FOLDS:
            folds.setdefault(old, new)
        self.folds: tuple[tuple[str, str], ...] = tuple(folds.items())
        self._ascii_folds = tuple((o, n) for o, n in self.folds if o.isascii())
        self._other_folds = tuple((o, n) for o, n in self.folds if not o.isascii())
        # Stop words of every language are left out of every query: people mix languages.
        self.stop_words: frozenset[str] = frozenset(
            self.normalize(w) for lang in self.languages for w in lang.stop_words
        )
        self.negations: frozenset[str] = frozenset(
            self.normalize(w) for lang in self.languages for w in lang.negations
        )
        self._stem_letters = frozenset(
            ch
            for lang in self.languages
            if lang.stemming
            for ch in self.normalize(lang.alphabet).replace(" ", "")
        )
        layouts = [
            (lang.code, lang.keyboard, frozenset(ch for ch in lang.keyboard if ch.isalpha()))
            for lang in self.languages
            if lang.keyboard
        ]
        # Text typed with the wrong layout active: from a layout that has all of its letters
        # to each layout of another alphabet (QWERTY <-> ЙЦУКЕН, never ЙЦУКЕН <-> another
        # Cyrillic layout, where letters typed in either are real words).
        self._layouts = [
            (
                letters,
                [
                    str.maketrans(keys, other_keys)
                    for _other, other_keys, other_letters in layouts
                    if not other_letters & letters
                ],
            )
            for _code, keys, letters in layouts
        ]
        # Typed durations are matched as typed (lower case), with every language's words.
        self.days_per_unit: dict[str, float] = {}
        for lang in self.languages:
            for word, unit in lang.durations:
                self.days_per_unit.setdefault(word, DAYS_PER_UNIT[unit])
        self.duration_filler: frozenset[str] = frozenset(
            w for lang in self.languages for w in lang.duration_filler
        )
        self._translit: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}
        for lang in self.languages:
            if lang.transliteration:
                # Longest letter groups first, so "shch" wins over "sh" and "s".
                groups = sorted(dict(lang.transliteration), key=len, reverse=True)
                pattern = re.compile("|".join(re.escape(g) for g in groups))
                self._translit[lang.code] = (pattern, dict(lang.transliteration))

    def normalize(self, text: str) -> str:
        """Casefold, strip diacritics, fold letter variants and punctuation; single spaces."""
        folded = unicodedata.normalize("NFKD", text.casefold())
        for old, new in self._ascii_folds:
            if old in folded:
                folded = folded.replace(old, new)
        if not folded.isascii():
            folded = _COMBINING.sub("", folded)
            # A few str.replace scans in C beat a per-character translate() on long answers.
            for old, new in self._other_folds:
                if old in folded:
                    folded = folded.replace(old, new)
            if _DIGITS.search(folded):
                folded = _DIGITS.sub(lambda m: _DIGIT_VALUES[m.group(0)], folded)
        return _NON_WORD.sub(" ", folded).strip()

    def tokens(self, text: str) -> list[str]:
        """Normalised words of a text."""
        return self.normalize(text).split()

    def layout_variants(self, text: str) -> list[str]:
        """The text as if typed on each other keyboard layout, when one layout has all its
        letters (plain Latin or plain Russian text: Azerbaijani or Turkish letters show the
        person used their own layout on purpose)."""
        lowered = text.casefold()
        letters = {ch for ch in lowered if ch.isalpha()}
        if not letters:
            return []
        out: list[str] = []
        for own, tables in self._layouts:
            if letters <= own:
                out.extend(lowered.translate(table) for table in tables)
        return list(dict.fromkeys(out))

    def transliterated(self) -> list[str]:
        """Languages that say how they are typed in Latin letters."""
        return list(self._translit)

    def transliterate(self, text: str, lang: str) -> str | None:
        """Text typed in Latin letters ("vid na zhitelstvo"), in `lang`'s letters; None unless
        the text is plain ASCII with a letter and `lang` has a transliteration table."""
        table = self._translit.get(lang)
        lowered = text.casefold()
        if table is None or not lowered.isascii() or not any(ch.isalpha() for ch in lowered):
            return None
        pattern, mapping = table
        return pattern.sub(lambda m: mapping[m.group(0)], lowered)

    def stems(self, token: str) -> bool:
        """Whether a normalised word is of a language whose words take endings."""
        return bool(token) and token[0] in self._stem_letters
