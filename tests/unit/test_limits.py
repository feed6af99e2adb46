"""The shared model of Telegram's limits: holds, a group's minute, proactive pacing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.delivery.limits import GROUP_WINDOW, OUTBOX, FloodLimits, ReplyLimiter, chat_of


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def limits(clock: Clock, **kw: Any) -> FloodLimits:
    return FloodLimits(now=clock, **kw)


def test_chat_of_reads_numbers_only() -> None:
    assert chat_of({"chat_id": 5}) == 5
    assert chat_of({"chat_id": "-1001"}) == -1001
    assert chat_of({"chat_id": "@channel"}) is None
    assert chat_of({"chat_id": True}) is None
    assert chat_of({}) is None


def test_a_hold_is_per_chat_unless_no_chat_was_named() -> None:
    clock = Clock()
    lim = limits(clock)
    lim.hold(7, 3)
    assert lim.hold_delay(7) == 3
    assert lim.hold_delay(8) == 0
    lim.hold(None, 2)
    assert lim.hold_delay(8) == 2 and lim.hold_delay(None) == 2
    clock.t += 3
    assert lim.hold_delay(7) == 0


def test_proactive_sends_to_one_chat_burst_then_slow_down() -> None:
    clock = Clock()
    lim = limits(clock, chat_per_second=1.0, chat_burst=3)
    for _ in range(3):
        assert lim.proactive_delay(42) == 0
        lim.take_proactive(42)
    wait = lim.proactive_delay(42)
    assert 1.0 < wait <= 1.2  # about a second, with a margin against network jitter
    assert lim.proactive_delay(43) == 0  # another chat is not held back


def test_overall_pace_spaces_proactive_sends() -> None:
    clock = Clock()
    lim = limits(clock, overall_per_second=10)
    lim.take_proactive(1)
    assert lim.overall_delay() == pytest.approx(0.1)
    clock.t += 0.1
    assert lim.overall_delay() == 0


def test_a_groups_minute_counts_every_message_once() -> None:
    clock = Clock()
    lim = limits(clock, group_per_minute=3, chat_per_second=0)
    for _ in range(3):
        assert lim.proactive_delay(-100) == 0
        lim.take_proactive(-100)
    assert lim.proactive_delay(-100) == pytest.approx(GROUP_WINDOW)
    clock.t += GROUP_WINDOW
    assert lim.proactive_delay(-100) == 0


async def test_a_waiting_reply_goes_before_queued_notices() -> None:
    lim = FloodLimits(group_per_minute=2, chat_per_second=0)
    lim.take_proactive(-5)
    lim.take_proactive(-5)
    waiter = asyncio.create_task(lim.acquire_group_slot(-5))
    await asyncio.sleep(0)
    # The group is full and a reply waits: the outbox must not take the next slot.
    assert lim.proactive_delay(-5) >= 1.0
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert lim.proactive_delay(-5) > 0  # still full, but no reply waits any more


class Calls:
    def __init__(self, failures: list[float]) -> None:
        self.failures = list(failures)
        self.made: list[float] = []

    async def __call__(self, *_args: Any, **_kwargs: Any) -> dict[str, Any]:
        self.made.append(asyncio.get_running_loop().time())
        if self.failures:
            # Fractions of a second on purpose (PTB types retry_after as int): keeps the test short.
            raise RetryAfter(self.failures.pop(0))  # type: ignore[arg-type]
        return {"ok": True}


async def test_a_reply_that_gets_429_waits_and_is_sent() -> None:
    lim = FloodLimits()
    limiter = ReplyLimiter(lim)
    calls = Calls([0.2])
    result = await limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert result == {"ok": True}
    assert len(calls.made) == 2 and calls.made[1] - calls.made[0] >= 0.19
    assert lim.hold_delay(9) == 0 and lim.holds_seen == 1


async def test_the_next_reply_to_a_held_chat_waits_its_turn() -> None:
    lim = FloodLimits()
    limiter = ReplyLimiter(lim)
    lim.hold(9, 0.2)
    calls = Calls([])
    start = asyncio.get_running_loop().time()
    await limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert calls.made[0] - start >= 0.19
    other = Calls([])
    start = asyncio.get_running_loop().time()
    await limiter.process_request(other, (), {}, "sendMessage", {"chat_id": 10}, None)
    assert other.made[0] - start < 0.1  # a held chat does not hold anyone else


async def test_replies_in_private_chats_are_not_paced() -> None:
    lim = FloodLimits(overall_per_second=1, chat_per_second=1, chat_burst=1)
    limiter = ReplyLimiter(lim)
    calls = Calls([])
    start = asyncio.get_running_loop().time()
    for _ in range(20):
        await limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert asyncio.get_running_loop().time() - start < 0.2


async def test_replies_into_a_group_take_its_slots_and_callback_answers_do_not() -> None:
    lim = FloodLimits(group_per_minute=2, chat_per_second=0)
    limiter = ReplyLimiter(lim)
    calls = Calls([])
    for _ in range(2):
        await limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": -7}, None)
    assert lim.group_delay(-7) > 0
    # Answering a button press is not a message into the group: it never waits.
    await asyncio.wait_for(
        limiter.process_request(
            calls, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None
        ),
        timeout=0.5,
    )
    blocked = asyncio.create_task(
        limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": -7}, None)
    )
    await asyncio.sleep(0.05)
    assert not blocked.done()
    blocked.cancel()


async def test_outbox_requests_pass_straight_through() -> None:
    lim = FloodLimits(group_per_minute=1, chat_per_second=0)
    limiter = ReplyLimiter(lim)
    lim.take_proactive(-7)
    calls = Calls([])
    await asyncio.wait_for(
        limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": -7}, OUTBOX), timeout=0.5
    )
    assert len(calls.made) == 1


async def test_a_reply_gives_up_after_many_429s() -> None:
    limiter = ReplyLimiter(FloodLimits(), max_retries=2)
    calls = Calls([0.01, 0.01, 0.01])
    with pytest.raises(RetryAfter):
        await limiter.process_request(calls, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert len(calls.made) == 3
