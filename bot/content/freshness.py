"""Source hygiene for `content check`: page-level sources, checked dates not too old, numbers
sourced.

A fact is only as good as the page it came from: a homepage proves nothing, a date checked
long ago may have changed, and a fee or deadline without a page behind it cannot be checked.
These are warnings (the bot still starts): `content check` reports them, clean on a good pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import unquote, urlsplit

DEFAULT_MAX_AGE_DAYS = 365

# Path or query parts that still mean "the front page": index files and language codes.
_INDEX = re.compile(r"^(?:index|default|home|main|start)(?:\.[a-z0-9]+)?$", re.IGNORECASE)
_LANG_PART = re.compile(r"^(?:[a-z]{2}(?:[-_][a-z]{2})?|lang|language|ln|hl)$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


class _HasUrl(Protocol):
    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class Freshness:
    """What `content check` compares `last_checked` dates against."""

    today: date
    max_age_days: int = DEFAULT_MAX_AGE_DAYS


def is_homepage(url: str) -> bool:
    """True for a site's front page: no path (or only "/", an index file, a language code)
    and no query that selects a page. `https://bpqmi.gov.az/?/az/menu/22/` is a page."""
    parts = urlsplit(url.strip())
    path = [p for p in unquote(parts.path).split("/") if p]
    query = [p for p in re.split(r"[/&=?]", unquote(parts.query)) if p]
    meaningful = [p for p in [*path, *query] if not _INDEX.match(p) and not _LANG_PART.match(p)]
    return not meaningful


def page_sources(sources: Iterable[_HasUrl]) -> list[_HasUrl]:
    """The sources that point at a page, not at a homepage."""
    return [s for s in sources if not is_homepage(s.url)]


def states_a_number(text: str) -> bool:
    """Whether a text states a number (a fee, a fine, a count of days, a phone number)."""
    return bool(_DIGIT.search(text))


def source_warnings(
    sources: Iterable[_HasUrl], last_checked: date | None, freshness: Freshness
) -> list[str]:
    """Warnings about one entry's sources and checked date (messages without the 'what')."""
    found: list[str] = []
    for source in sources:
        if is_homepage(source.url):
            found.append(
                f"source {source.url!r} is a homepage, not the page that states the fact:"
                " link the page itself"
            )
    if last_checked is not None:
        age = (freshness.today - last_checked).days
        if age < 0:
            found.append(f"last_checked {last_checked.isoformat()} is in the future")
        elif age > freshness.max_age_days:
            found.append(
                f"last_checked {last_checked.isoformat()} is {age} days ago (more than"
                f" {freshness.max_age_days}): check the pages again and update the date"
            )
    return found
