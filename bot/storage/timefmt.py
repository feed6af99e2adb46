"""Timestamps are stored as ISO 8601 UTC text, which sorts correctly as text."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str | None) -> datetime | None:
    if not text:
        return None
    # fromisoformat reads the trailing Z as UTC (3.11+) and is far cheaper than strptime.
    return datetime.fromisoformat(text)
