"""UI strings through gettext, resolved once per update; dates and numbers through babel.

Locale flows like aiogram's i18n middleware: the first handler group resolves the person's
language and puts a `Tr` on the context; every handler after it just calls `tr._(...)`.
"""

from __future__ import annotations

import gettext as _gettext
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations


def _locales_dir() -> Path:
    """LOCALES_DIR if set, else the checkout's locales/, else ./locales (an installed package)."""
    configured = os.environ.get("LOCALES_DIR", "").strip()
    if configured:
        return Path(configured)
    beside = Path(__file__).resolve().parent.parent / "locales"
    return beside if beside.is_dir() else Path.cwd() / "locales"


LOCALES_DIR = _locales_dir()
DOMAIN = "messages"

# Unicode isolates keep numbers, phones and Latin names readable inside right-to-left text.
FSI, PDI = "\u2068", "\u2069"


class CatalogError(Exception):
    """A declared language has no compiled catalog; the message is for operators."""


def _noop(message: str) -> str:
    """Marks a string for extraction where it is defined; translated later, where shown."""
    return message


N_ = _noop


@dataclass(frozen=True)
class Tr:
    """One person's language for one update: translate, pluralise, format."""

    lang: str
    direction: str
    chain: tuple[str, ...]
    translations: _gettext.NullTranslations
    babel_locale: Locale

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    def _(self, message: str, /, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        text = self.translations.ngettext(singular, plural, count)
        return text.format(count=self.number(count), **values)

    def number(self, value: float) -> str:
        return self.isolate(format_decimal(value, locale=self.babel_locale))

    def date(self, value: date | datetime) -> str:
        return self.isolate(format_date(value, format="medium", locale=self.babel_locale))

    def datetime(self, value: datetime) -> str:
        return self.isolate(format_datetime(value, format="short", locale=self.babel_locale))

    def isolate(self, text: str) -> str:
        """Wrap left-to-right fragments (numbers, phones, ids) when the text runs right to left."""
        return f"{FSI}{text}{PDI}" if self.rtl and text else text


class Catalogs:
    """Compiled catalogs for every language the pack enables, loaded once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self.locales_dir = locales_dir
        self._by_lang: dict[str, _gettext.NullTranslations] = {}
        self._locales: dict[str, Locale] = {}

    def load(
        self, languages: list[tuple[str, str, tuple[str, ...]]], source_language: str = "en"
    ) -> None:
        """Load each (code, direction, fallback chain); refuse a missing compiled catalog."""
        loaded: dict[str, _gettext.NullTranslations] = {}
        for code, _direction, _chain in languages:
            if code == source_language:
                loaded[code] = _gettext.NullTranslations()
                continue
            mo = self.locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo.is_file():
                # babel would silently hand back an empty catalog and show English everywhere.
                raise CatalogError(
                    f"no compiled catalog for language {code!r} at {mo}: run `make i18n`"
                )
            with mo.open("rb") as fh:
                loaded[code] = Translations(fh, domain=DOMAIN)
        for code, _direction, chain in languages:
            translations = loaded[code]
            # gettext fallbacks follow the pack's chain (e.g. az → ru → en).
            for fallback in chain:
                if fallback in loaded and fallback != code and fallback != source_language:
                    translations.add_fallback(_copy(loaded[fallback]))
            self._by_lang[code] = translations
            try:
                self._locales[code] = Locale.parse(code)
            except (ValueError, LookupError):
                self._locales[code] = Locale.parse(source_language)
            # Load the locale's data now: babel reads it from disk on first use, which would
            # otherwise cost the first person of each language ~10 ms on the event loop.
            format_date(date(2000, 1, 1), format="medium", locale=self._locales[code])
            format_decimal(1, locale=self._locales[code])
        self._meta = {code: (direction, chain) for code, direction, chain in languages}

    def tr(self, lang: str) -> Tr:
        direction, chain = self._meta.get(lang, ("ltr", ()))
        return Tr(
            lang=lang,
            direction=direction,
            chain=(lang, *chain),
            translations=self._by_lang.get(lang) or _gettext.NullTranslations(),
            babel_locale=self._locales.get(lang) or Locale.parse("en"),
        )

    def languages(self) -> list[str]:
        return list(self._by_lang)


def _copy(translations: _gettext.NullTranslations) -> _gettext.NullTranslations:
    """A shallow copy so chaining fallbacks never links two catalogs into a loop."""
    clone = _gettext.GNUTranslations.__new__(type(translations))
    clone.__dict__.update(translations.__dict__)
    clone._fallback = None  # type: ignore[attr-defined]
    return clone
