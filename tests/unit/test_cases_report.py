"""Reports in the RESTART shape and the anonymous CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.cases.model import OUTCOMES, SERVICES, STATUSES, VULNERABILITIES, CaseRecord
from bot.cases.report import CSV_COLUMNS, UNKNOWN, Tally, build_report, write_csv

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def make_case(**overrides: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "id": 1,
        "person_id": 555123,
        "category": "documents",
        "language": "az",
        "created_at": T0,
    }
    fields.update(overrides)
    return CaseRecord(**fields)


def sample() -> list[CaseRecord]:
    return [
        # A family of 2 adults and 3 children, supported with housing and schooling.
        make_case(
            id=1,
            adults=2,
            children=3,
            region="baku",
            audience="returnee",
            vulnerabilities=frozenset({"children", "no_housing"}),
            services=frozenset({"accommodation", "education"}),
            status="closed",
            outcome="completed",
            first_response_at=T0 + 2 * H,
            resolved_at=T0 + 48 * H,
            closed_at=T0 + 60 * H,
            rating=5,
        ),
        # Nobody gave the household: counts as one adult.
        make_case(
            id=2,
            category="health",
            language="ru",
            region="ganja",
            vulnerabilities=frozenset({"medical"}),
            services=frozenset({"medical"}),
            status="resolved",
            outcome="supported",
            first_response_at=T0 + 4 * H,
            resolved_at=T0 + 24 * H,
            rating=3,
        ),
        # One adult, rejected: not readmitted nor deported.
        make_case(
            id=3,
            adults=1,
            category="legal",
            language="en",
            audience="refugee",
            status="closed",
            outcome="rejected_ineligible",
            first_response_at=T0 + 10 * H,
            closed_at=T0 + 12 * H,
            rating=4,
        ),
        # Open, never answered, children only given.
        make_case(id=4, children=2, category="education", language="fa", priority=0),
        # Outside the date range used in test_date_range.
        make_case(
            id=5,
            adults=1,
            created_at=T0 + timedelta(days=40),
            status="closed",
            outcome="rejected_other_programme",
            first_response_at=T0 + timedelta(days=40, hours=1),
            closed_at=T0 + timedelta(days=41),
        ),
    ]


def once(cases: list[CaseRecord]) -> Iterator[CaseRecord]:
    """A one-shot iterator: the report must not iterate twice."""
    yield from cases


def test_counts_households_and_individuals() -> None:
    report = build_report(once(sample()[:4]), None, None)
    assert report.cases == 4
    # 2+3, 1 (unknown), 1, 1+2 (adults unknown, children given)
    assert (report.adults, report.children) == (5, 5)
    assert report.individuals == 10
    assert report.household_unknown == 1
    assert report.open_cases == 1


def test_breakdowns() -> None:
    report = build_report(once(sample()[:4]))
    assert list(report.by_status) == list(STATUSES)
    assert report.by_status["closed"] == Tally(2, 6)
    assert report.by_status["deleted"] == Tally(0, 0)
    assert report.by_category["documents"] == Tally(1, 5)
    assert next(iter(report.by_category)) == "documents"  # ties ordered by id: stable
    assert report.by_language["fa"] == Tally(1, 3)
    assert report.by_region == {"baku": Tally(1, 5), "ganja": Tally(1, 1), UNKNOWN: Tally(2, 4)}
    assert report.by_audience[UNKNOWN] == Tally(2, 4)
    assert list(report.by_vulnerability) == list(VULNERABILITIES)
    assert report.by_vulnerability["children"] == Tally(1, 5)
    assert report.by_vulnerability["medical"] == Tally(1, 1)
    assert report.by_vulnerability["trafficking"] == Tally(0, 0)
    assert report.vulnerable == Tally(2, 6)
    assert list(report.services) == list(SERVICES)
    assert report.services["accommodation"] == Tally(1, 5)
    assert report.services["medical"] == Tally(1, 1)
    assert report.services["employment"] == Tally(0, 0)
    assert list(report.by_outcome) == [*OUTCOMES, UNKNOWN]
    assert report.by_outcome["completed"] == Tally(1, 5)
    assert report.by_outcome[UNKNOWN] == Tally(1, 3)
    assert report.rejected == Tally(1, 1)


def test_medians_and_ratings() -> None:
    report = build_report(once(sample()[:4]))
    # First responses after 2, 4 and 10 hours; case 4 has none.
    assert report.first_responses == 3
    assert report.median_first_response == 4 * H
    # Resolution: resolved 48 h (not the later close), resolved 24 h, closed 12 h.
    assert report.resolutions == 3
    assert report.median_resolution == 24 * H
    assert report.ratings.count == 3
    assert report.ratings.mean == 4.0
    assert report.ratings.distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}


def test_even_count_median_and_empty_report() -> None:
    cases = [
        make_case(id=i, first_response_at=T0 + hours * H) for i, hours in enumerate((1, 3, 5, 11))
    ]
    assert build_report(cases).median_first_response == 4 * H
    empty = build_report([])
    assert empty.cases == 0 and empty.median_resolution is None and empty.ratings.mean is None


def test_date_range_is_inclusive_on_created_date() -> None:
    cases = sample()
    assert build_report(cases, date(2026, 3, 1), date(2026, 3, 1)).cases == 4
    assert build_report(cases, date(2026, 3, 2), None).cases == 1
    assert build_report(cases, None, date(2026, 2, 28)).cases == 0
    late = build_report(cases, date(2026, 4, 10), date(2026, 4, 10))
    assert late.by_outcome["rejected_other_programme"] == Tally(1, 1)
    assert late.median_resolution == timedelta(days=1)


def test_reopened_case_has_no_resolution_time() -> None:
    # An open case never contributes a resolution time, even with a stale timestamp.
    case = make_case(status="in_progress", resolved_at=T0 + H)
    assert build_report([case]).resolutions == 0


def test_csv_header_rows_and_no_personal_data() -> None:
    out = io.StringIO()
    rows = write_csv(once(sample()), out)
    assert rows == 5
    text = out.getvalue()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert tuple(parsed[0].keys()) == CSV_COLUMNS
    assert CSV_COLUMNS == (
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
    assert "555123" not in text  # person_id never leaves
    assert not {"person_id", "assignee_id", "name", "phone"} & set(parsed[0])
    first = parsed[0]
    assert first["created"] == "2026-03-01T09:00:00+00:00"
    assert first["vulnerabilities"] == "children;no_housing"
    assert first["services"] == "education;accommodation"
    assert first["first_response_hours"] == "2.00"
    assert first["resolution_hours"] == "48.00"
    assert first["rating"] == "5"
    second = parsed[1]
    assert (second["adults"], second["children"], second["audience"]) == ("", "", "")
    open_case = parsed[3]
    assert open_case["resolution_hours"] == "" and open_case["outcome"] == ""


def test_csv_neutralises_formulas() -> None:
    out = io.StringIO()
    write_csv([make_case(region="=HYPERLINK(1)")], out)
    assert "'=HYPERLINK(1)" in out.getvalue()
