"""The SLA job on its own (no Telegram, no emulator): a store, a clock and the outbox it fills."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio

from bot.bundle.service import LoadedContent
from bot.casework.sla_job import check_overdue
from bot.clock import OffsetClock
from bot.config import Settings
from bot.services import Services
from tests.unit.core_services import core_services

STAFF = -100_123
ADMINS = frozenset({11, 12})


@pytest_asyncio.fixture
async def services(tmp_path: Path, real_content: LoadedContent) -> AsyncIterator[Services]:
    settings = Settings(
        staff_chat_id=STAFF, admin_ids=ADMINS, first_response_hours=(4, 24, 72), escalation_hours=24
    )
    async with core_services(tmp_path / "sla.db", real_content, settings) as services:
        yield services


_ids = iter(range(1, 1000))


async def _case(services: Services, *, priority: int = 0, thread: int | None = 77) -> int:
    n = next(_ids)
    async with services.store.transaction() as uow:
        case_id = await uow.cases.create(
            user_id=1000 + n,
            source_update_id=n,
            category="documents",
            language="en",
            audience=None,
            region="Baku",
            adults=1,
            children=0,
            vulnerabilities=[],
            description="lost passport",
            priority=priority,
            team="general",
            staff_chat_id=STAFF,
            flow=None,
            now=services.clock.now(),
        )
    assert case_id is not None
    if thread is not None:
        await services.cases.update(case_id, services.clock.now(), thread_id=thread)
    return case_id


async def _sent_to(services: Services, chat_id: int) -> list[str]:
    items = await services.outbox.due(services.clock.now() + timedelta(days=365), limit=1000)
    return [str(i.params.get("text", "")) for i in items if i.chat_id == chat_id]


async def test_nothing_is_due_before_the_first_answer_deadline(services: Services) -> None:
    await _case(services)
    assert isinstance(services.clock, OffsetClock)
    services.clock.advance(hours=3, minutes=59)
    assert await check_overdue(services) == (0, 0)
    assert await services.outbox.counts() == {}


async def test_an_overdue_case_is_reminded_once_then_escalated_once_to_every_admin(
    services: Services,
) -> None:
    case_id = await _case(services)
    clock = services.clock
    assert isinstance(clock, OffsetClock)
    clock.advance(hours=4, minutes=1)
    assert await check_overdue(services) == (1, 0)
    assert await check_overdue(services) == (0, 0)  # the job runs often: one reminder only
    reminders = await _sent_to(services, STAFF)
    assert (
        len(reminders) == 1 and f"#{case_id}" in reminders[0] and "waited too long" in reminders[0]
    )
    clock.advance(hours=23)
    assert await check_overdue(services) == (0, 0)  # not yet a day after the reminder
    clock.advance(hours=1, minutes=1)
    assert await check_overdue(services) == (0, 1)
    assert await check_overdue(services) == (0, 0)
    for admin in ADMINS:
        notices = await _sent_to(services, admin)
        assert len(notices) == 1 and f"#{case_id}" in notices[0]
    row = await services.cases.get(case_id)
    assert (
        row is not None
        and row.record.reminded_at is not None
        and row.record.escalated_at is not None
    )


async def test_an_answered_or_closed_case_is_left_alone(services: Services) -> None:
    answered = await _case(services)
    await services.cases.update(
        answered, services.clock.now(), first_response_at=services.clock.now()
    )
    closed = await _case(services)
    await services.cases.update(closed, services.clock.now(), status="closed")
    assert isinstance(services.clock, OffsetClock)
    services.clock.advance(days=10)
    assert await check_overdue(services) == (0, 0)


async def test_each_priority_has_its_own_deadline(services: Services) -> None:
    """Priority n is due after first_response_hours[n] (4, 24, 72 h here)."""
    by_priority = [await _case(services, priority=p) for p in (0, 1, 2)]
    clock = services.clock
    assert isinstance(clock, OffsetClock)
    for hours, expect in ((4, by_priority[:1]), (24, by_priority[:2]), (72, by_priority)):
        clock.offset = timedelta(hours=hours, minutes=1)
        await check_overdue(services)
        reminded = [
            cid
            for cid in by_priority
            if (row := await services.cases.get(cid)) is not None and row.record.reminded_at
        ]
        assert reminded == expect, hours
