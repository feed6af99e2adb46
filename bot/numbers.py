"""Numbers that come from people (callback data, command arguments, typed answers), parsed
strictly: `str.isdigit()` accepts "²" (which `int()` refuses) and nothing stops a twenty-digit
id that overflows the database's integers. Every such number goes through here."""

from __future__ import annotations

# SQLite's and PostgreSQL's bigint: ids beyond it exist nowhere.
BIGINT_MAX = 2**63 - 1


def parse_int(text: str | None, *, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """A whole number written in decimal digits of any script ("12", "۱۲"), within
    [low, high]; None for anything else (signs, spaces inside, superscripts, overflows)."""
    raw = (text or "").strip()
    if not raw or len(raw) > 19 or not raw.isdecimal():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_case_id(text: str | None) -> int | None:
    """A case number as people and caseworkers write it: "12" or "#12"."""
    return parse_int((text or "").strip().removeprefix("#"), low=1)


def parse_user_id(text: str | None) -> int | None:
    """A Telegram user id (positive) from callback data or settings."""
    return parse_int(text, low=1)
