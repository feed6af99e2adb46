"""`python -m bot export cases`: cases as CSV, without names, phones or free text."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.cases.report import write_csv
from bot.config import Settings
from bot.storage import open_store


async def export_cases(
    settings: Settings, date_from: date | None, date_to: date | None, output: Path | None
) -> int:
    """Write cases created from `date_from` to `date_to` (inclusive) as CSV."""
    if not settings.database_url and not settings.database_path.exists():
        print(
            f"error: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr
        )
        return 2
    store = await open_store(settings.database, abuse_key=settings.abuse_key)
    try:
        start = datetime.combine(date_from, time(), UTC) if date_from else None
        end = datetime.combine(date_to + timedelta(days=1), time(), UTC) if date_to else None
        records = [r async for r in store.cases.iter_records_fast(start, end)]
    finally:
        await store.close()
    if output is None:
        count = write_csv(records, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as fh:
            count = write_csv(records, fh)
        print(f"{count} cases written to {output}", file=sys.stderr)
    return 0
