"""Retention on its own (no Telegram, no emulator): a store, a clock moved by days, and what
`apply_retention` leaves of old cases and idle profiles."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.bundle.service import LoadedContent
from bot.cases import lifecycle
from bot.casework.service import Draft, Part, change, open_case, relay_from_person, relay_to_person
from bot.clock import OffsetClock
from bot.config import Settings
from bot.privacy.data import erase_person
from bot.privacy.retention import apply_retention
from bot.services import Services
from tests.unit.core_services import core_services

STAFF = -100_321
CASEWORKER = 5_550_002
CLOSED_DAYS = 30
INACTIVE_DAYS = 90
PLANTED = "Saxifrage-Pangolin-6204"
LOGGED = 7_700_301  # a person whose id must not reach the log

_updates = itertools.count(1)


@pytest_asyncio.fixture
async def services(tmp_path: Path, real_content: LoadedContent) -> AsyncIterator[Services]:
    settings = Settings(
        staff_chat_id=STAFF,
        retention_closed_days=CLOSED_DAYS,
        retention_inactive_days=INACTIVE_DAYS,
    )
    async with core_services(tmp_path / "retention.db", real_content, settings) as services:
        yield services


def _clock(services: Services) -> OffsetClock:
    assert isinstance(services.clock, OffsetClock)
    return services.clock


async def _case(services: Services, user_id: int, label: str) -> int:
    """A person (seen now) opens a request; a caseworker answers it."""
    await services.people.touch(user_id, services.clock.now())
    await services.people.give_consent(user_id, "privacy", "1", services.clock.now())
    n = next(_updates)
    draft = Draft(
        user_id=user_id,
        language="en",
        audience=None,
        category="employment",
        parts=[Part(n, "text", f"{label}: {PLANTED}")],
        region=f"{PLANTED} region",
        adults=2,
        children=0,
        vulnerabilities=[],
        phone=None,
        item_id=None,
        flow=("work_permit", 1, [("permanent", "no")], "needed"),
    )
    case_id = await open_case(services, draft, source_update_id=n)
    row = await services.cases.get(case_id)
    assert row is not None
    n = next(_updates)
    assert await relay_to_person(
        services,
        row,
        staff_chat_id=STAFF,
        staff_message_id=n,
        author_id=CASEWORKER,
        author_name=None,
        text=f"about {PLANTED}",
        caption=None,
        kind="text",
        file_id=None,
        update_id=n,
    )
    return case_id


async def _set_status(services: Services, case_id: int, status: str) -> None:
    row = await services.cases.get(case_id)
    assert row is not None
    now = services.clock.now()
    assert await change(
        services,
        row,
        lambda r: lifecycle.transition(r, status, now),
        actor_id=CASEWORKER,
        action="st",
        detail=status,
        dedupe=f"u:{next(_updates)}",
    )


async def _dump(services: Services) -> dict[str, list[dict[str, Any]]]:
    ex = services.store.executor
    tables = [
        r["name"] for r in await ex.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {t: [dict(r) for r in await ex.fetchall(f"SELECT * FROM {t}")] for t in tables}


async def _personal_outbox(services: Services, case_id: int) -> list[str]:
    rows = await services.store.executor.fetchall(
        "SELECT kind FROM outbox WHERE case_id = ? AND kind IN ('to_person', 'to_staff', 'notice')"
        " ORDER BY id",
        (case_id,),
    )
    return [r["kind"] for r in rows]


async def _assert_anonymised(services: Services, case_id: int, status: str) -> None:
    row = await services.cases.get(case_id)
    assert row is not None, case_id
    assert row.user_id is None and row.description is None and row.record.region is None
    assert row.flow_answers == [] and await services.cases.messages(case_id) == []
    assert await _personal_outbox(services, case_id) == []
    # What reports count survives.
    assert (row.status, row.record.category, row.record.adults) == (status, "employment", 2)
    assert row.record.first_response_at is not None


async def _assert_whole(services: Services, case_id: int, user_id: int) -> None:
    row = await services.cases.get(case_id)
    assert row is not None, case_id
    assert row.user_id == user_id and row.description is not None and PLANTED in row.description
    assert row.record.region == f"{PLANTED} region" and row.flow_answers == [("permanent", "no")]
    assert [m.direction for m in await services.cases.messages(case_id)] == ["in", "out"]


async def test_only_cases_ended_before_the_retention_period_are_anonymised(
    services: Services,
) -> None:
    clock = _clock(services)
    closed = await _case(services, 101, "closed")
    await _set_status(services, closed, "closed")
    resolved = await _case(services, 102, "resolved")
    await _set_status(services, resolved, "resolved")
    closed_later = await _case(services, 103, "resolved, closed later")
    await _set_status(services, closed_later, "resolved")
    reopened = await _case(services, 104, "reopened")
    await _set_status(services, reopened, "closed")
    still_open = await _case(services, 105, "open")
    erased = await _case(services, 106, "erased")
    await erase_person(services, 106, clock.now())  # a deleted stub: nothing personal left
    assert await _personal_outbox(services, closed) == ["to_staff", "to_person", "notice"]

    clock.advance(days=1)
    row = await services.cases.get(reopened)
    assert row is not None
    assert await relay_from_person(services, row, 9, "text", "me again", None, next(_updates))
    clock.advance(days=9)
    recent = await _case(services, 107, "recent")
    await _set_status(services, recent, "closed")  # day 10
    clock.advance(days=10)
    await _set_status(services, closed_later, "closed")  # day 20

    clock.advance(days=CLOSED_DAYS - 20, minutes=-1)  # a minute short of the period
    assert await apply_retention(services) == (0, 0)
    await _assert_whole(services, closed, 101)

    clock.advance(minutes=2)
    assert await apply_retention(services) == (2, 0)
    await _assert_anonymised(services, closed, "closed")
    await _assert_anonymised(services, resolved, "resolved")
    for case_id, user_id in ((closed_later, 103), (recent, 107), (still_open, 105)):
        await _assert_whole(services, case_id, user_id)
    row = await services.cases.get(reopened)
    assert row is not None and row.status == "in_progress" and row.user_id == 104
    assert len(await services.cases.messages(reopened)) == 3
    stub = await services.cases.get(erased)
    assert stub is not None and stub.status == "deleted" and stub.user_id is None

    before = await _dump(services)
    assert await apply_retention(services) == (0, 0)  # a second run changes nothing more
    assert await _dump(services) == before

    clock.advance(days=30)  # day 50: past the period for the cases ended on days 10 and 20
    assert await apply_retention(services) == (2, 0)
    await _assert_anonymised(services, recent, "closed")
    await _assert_anonymised(services, closed_later, "closed")
    await _assert_whole(services, still_open, 105)
    row = await services.cases.get(reopened)
    assert row is not None and row.user_id == 104
    assert await apply_retention(services) == (0, 0)


async def test_inactive_profiles_are_deleted_unless_a_case_is_open_or_they_came_back(
    services: Services,
) -> None:
    clock = _clock(services)
    idle = await _case(services, 201, "idle")
    await _set_status(services, idle, "closed")
    waiting = await _case(services, 202, "waiting for the staff")
    await services.people.touch(203, clock.now())
    await services.records.vote(203, "doc.passport", "en", True, clock.now())
    await services.store.subscriptions.replace(203, ["work"], "en", clock.now())
    await services.people.touch(204, clock.now())

    clock.advance(days=CLOSED_DAYS + 1)
    assert await apply_retention(services) == (1, 0)  # the closed case; nobody is idle yet
    clock.advance(days=30)
    await services.people.touch(204, clock.now())  # came back on day 61

    clock.advance(days=INACTIVE_DAYS - 61, minutes=-1)
    assert await apply_retention(services) == (0, 0)
    assert await services.people.count() == 4

    clock.advance(minutes=2)
    assert await apply_retention(services) == (0, 2)
    assert await services.people.get(201) is None and await services.people.get(203) is None
    assert await services.people.consents(201) == []
    assert not await services.records.has_voted(203, "doc.passport")
    assert await services.store.subscriptions.topics_of(203) == []
    # An open case keeps its person, however long ago they wrote; so does coming back.
    assert await services.people.get(202) is not None and await services.people.get(204) is not None
    await _assert_whole(services, waiting, 202)

    before = await _dump(services)
    assert await apply_retention(services) == (0, 0)
    assert await _dump(services) == before


async def test_the_log_gives_counts_and_never_content(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = await _case(services, LOGGED, "logged")
    await _set_status(services, case_id, "closed")
    _clock(services).advance(days=INACTIVE_DAYS + 1)
    with caplog.at_level(logging.INFO, logger="bot.privacy.retention"):
        assert await apply_retention(services) == (1, 1)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.privacy.retention"]
    assert lines == ["retention: 1 closed cases anonymised, 1 inactive profiles deleted"]
    assert PLANTED not in caplog.text and str(LOGGED) not in caplog.text
