"""Operator reports in the shape of the RESTART report, and an anonymous CSV export.

RESTART counted cases (households) and individuals, outcomes (supported, completed,
rejected and why), adults and children, services delivered per case, duration and
vulnerability. `build_report` gives the same numbers for the cases created in a date
range; rendering them (translated) is the handlers' job.

Both functions iterate their input once, so the caller can stream rows from the database.
To stay fast for a million cases the loop only groups cases by two tuples of their
categorical fields (few distinct combinations each) and expands the groups afterwards.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from bot.cases.model import (
    OPEN_STATUSES,
    OUTCOMES,
    RATINGS,
    SERVICES,
    STATUSES,
    VULNERABILITIES,
    CaseRecord,
)

# Key for a missing region, audience or outcome (the UI translates it).
UNKNOWN = "unknown"

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "created",
    "status",
    "category",
    "language",
    "region",
    "audience",
    "adults",
    "children",
    "vulnerabilities",
    "services",
    "outcome",
    "first_response_hours",
    "resolution_hours",
    "rating",
)


@dataclass(frozen=True, slots=True)
class Tally:
    """Cases (households) and the individuals in them."""

    cases: int = 0
    individuals: int = 0


@dataclass(frozen=True)
class RatingSummary:
    """The persons' 1-5 ratings."""

    count: int
    mean: float | None
    distribution: Mapping[int, int]  # every rating 1..5, zero if unused


@dataclass(frozen=True)
class Report:
    """Aggregates over the cases created between `start` and `end` (inclusive, UTC dates).

    Fixed id lists (statuses, vulnerabilities, services, outcomes) have every id as a key,
    in their canonical order, so tables line up between reports; open-ended ones (category,
    language, region, audience) list what occurs, largest first. A case without household
    details counts as one adult. `services` counts the cases that received each service and
    the individuals in those households (an upper bound of the people served).
    """

    start: date | None
    end: date | None
    cases: int
    individuals: int
    adults: int
    children: int
    household_unknown: int  # cases counted as one adult because nobody gave the household
    open_cases: int
    vulnerable: Tally  # cases with at least one vulnerability flag
    by_status: Mapping[str, Tally]
    by_category: Mapping[str, Tally]
    by_language: Mapping[str, Tally]
    by_region: Mapping[str, Tally]
    by_audience: Mapping[str, Tally]
    by_vulnerability: Mapping[str, Tally]
    services: Mapping[str, Tally]
    by_outcome: Mapping[str, Tally]  # OUTCOMES, then UNKNOWN for cases without one
    median_first_response: timedelta | None
    first_responses: int  # cases the median is over
    median_resolution: timedelta | None
    resolutions: int
    ratings: RatingSummary

    @property
    def rejected(self) -> Tally:
        """Rejected for any reason (RESTART reported these together, then by reason)."""
        parts = [self.by_outcome.get(k, Tally()) for k in OUTCOMES if k.startswith("rejected")]
        return Tally(sum(t.cases for t in parts), sum(t.individuals for t in parts))


# status, category, language, region, audience, outcome
_GroupKey = tuple[str, str, str, str | None, str | None, str | None]


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(start, time.min, tzinfo=UTC) if start else None
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end else None
    return lo, hi


def _median(values: list[float]) -> timedelta | None:
    return timedelta(seconds=statistics.median(values)) if values else None


def _fixed(ids: Iterable[str], acc: dict[str, list[int]]) -> dict[str, Tally]:
    return {k: Tally(*acc.get(k, (0, 0))) for k in ids}


def _ranked(acc: dict[str, list[int]]) -> dict[str, Tally]:
    items = sorted(acc.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return {k: Tally(c, i) for k, (c, i) in items}


def _add(acc: dict[str, list[int]], key: str, cases: int, individuals: int) -> None:
    slot = acc.get(key)
    if slot is None:
        acc[key] = [cases, individuals]
    else:
        slot[0] += cases
        slot[1] += individuals


def build_report(
    cases: Iterable[CaseRecord], start: date | None = None, end: date | None = None
) -> Report:
    """Aggregate the cases created from `start` to `end` (inclusive; None = unbounded)."""
    lo, hi = _bounds(start, end)
    groups: dict[_GroupKey, list[int]] = {}
    flag_groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
    adults_total = children_total = unknown_household = 0
    first_response: list[float] = []
    resolution: list[float] = []
    rating_counts = [0] * (len(RATINGS) + 1)

    for c in cases:
        created = c.created_at
        if (lo is not None and created < lo) or (hi is not None and created >= hi):
            continue
        adults, children = c.adults, c.children
        if adults is None:
            if children is None:
                unknown_household += 1
            adults = 1
        if children is None:
            children = 0
        if adults + children <= 0:
            adults, children = 1, 0
        adults_total += adults
        children_total += children
        people = adults + children
        key = (c.status, c.category, c.language, c.region, c.audience, c.outcome)
        slot = groups.get(key)
        if slot is None:
            groups[key] = [1, people]
        else:
            slot[0] += 1
            slot[1] += people
        flags = (c.vulnerabilities, c.services)
        slot = flag_groups.get(flags)
        if slot is None:
            flag_groups[flags] = [1, people]
        else:
            slot[0] += 1
            slot[1] += people
        if c.first_response_at is not None:
            first_response.append((c.first_response_at - created).total_seconds())
        done = c.resolved_at or c.closed_at
        if done is not None and c.status not in OPEN_STATUSES:
            resolution.append((done - created).total_seconds())
        if c.rating is not None:
            rating_counts[c.rating] += 1

    status: dict[str, list[int]] = {}
    category: dict[str, list[int]] = {}
    language: dict[str, list[int]] = {}
    region: dict[str, list[int]] = {}
    audience: dict[str, list[int]] = {}
    outcome: dict[str, list[int]] = {}
    vuln: dict[str, list[int]] = {}
    service: dict[str, list[int]] = {}
    vulnerable = [0, 0]
    open_cases = 0
    for (st, cat, lang, reg, aud, out), (n, people) in groups.items():
        _add(status, st, n, people)
        _add(category, cat, n, people)
        _add(language, lang, n, people)
        _add(region, reg or UNKNOWN, n, people)
        _add(audience, aud or UNKNOWN, n, people)
        _add(outcome, out or UNKNOWN, n, people)
        if st in OPEN_STATUSES:
            open_cases += n
    for (vulns, servs), (n, people) in flag_groups.items():
        for flag in vulns:
            _add(vuln, flag, n, people)
        for s in servs:
            _add(service, s, n, people)
        if vulns:
            vulnerable[0] += n
            vulnerable[1] += people

    total_cases = sum(n for n, _ in groups.values())
    rated = sum(rating_counts)
    return Report(
        start=start,
        end=end,
        cases=total_cases,
        individuals=adults_total + children_total,
        adults=adults_total,
        children=children_total,
        household_unknown=unknown_household,
        open_cases=open_cases,
        vulnerable=Tally(*vulnerable),
        by_status=_fixed(STATUSES, status),
        by_category=_ranked(category),
        by_language=_ranked(language),
        by_region=_ranked(region),
        by_audience=_ranked(audience),
        by_vulnerability=_fixed(VULNERABILITIES, vuln),
        services=_fixed(SERVICES, service),
        by_outcome=_fixed((*OUTCOMES, UNKNOWN), outcome),
        median_first_response=_median(first_response),
        first_responses=len(first_response),
        median_resolution=_median(resolution),
        resolutions=len(resolution),
        ratings=RatingSummary(
            count=rated,
            mean=sum(r * rating_counts[r] for r in RATINGS) / rated if rated else None,
            distribution={r: rating_counts[r] for r in RATINGS},
        ),
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    """Text for a CSV cell; neutralises spreadsheet formulas (=, +, -, @ at the start)."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _hours(start: datetime, end: datetime | None) -> str:
    return "" if end is None else f"{(end - start).total_seconds() / 3600:.2f}"


def _joined(values: frozenset[str], order: tuple[str, ...], memo: dict[frozenset[str], str]) -> str:
    # Few distinct sets occur, and joining a million of them is a visible share of an export.
    text = memo.get(values)
    if text is None:
        text = memo[values] = ";".join(v for v in order if v in values)
    return text


def write_csv(cases: Iterable[CaseRecord], out: TextIO) -> int:
    """Write one anonymous row per case (no person, names, phones or text); return rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    vuln_memo: dict[frozenset[str], str] = {}
    service_memo: dict[frozenset[str], str] = {}
    for c in cases:
        done = None if c.status in OPEN_STATUSES else (c.resolved_at or c.closed_at)
        created = c.created_at
        if created.tzinfo is not UTC:
            created = created.astimezone(UTC)
        writer.writerow(
            (
                c.id,
                created.isoformat(timespec="seconds"),
                c.status,
                _cell(c.category),
                _cell(c.language),
                _cell(c.region),
                _cell(c.audience),
                "" if c.adults is None else c.adults,
                "" if c.children is None else c.children,
                _joined(c.vulnerabilities, VULNERABILITIES, vuln_memo),
                _joined(c.services, SERVICES, service_memo),
                c.outcome or "",
                _hours(c.created_at, c.first_response_at),
                _hours(c.created_at, done),
                "" if c.rating is None else c.rating,
            )
        )
        rows += 1
    return rows
