"""Telegram's limits with the shipped pacing: replies go at once, bulk sends are paced,
429s are honoured, and one person's adversarial text does not hold anyone else up."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.sandbox.driver import UserDriver
from bot.sandbox.loopwatch import watch_loop
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import HarnessFactory

# What `python -m bot run` uses (the harness relaxes these for speed elsewhere).
SHIPPED_PACING = {
    "pace_chat_interval": 1.0,
    "pace_group_per_minute": 20,
    "pace_overall_per_second": 30.0,
}


async def timed_reply(person: UserDriver, text: str, expect: str) -> float:
    started = time.monotonic()
    await person.send(text)
    await person.wait_for(expect, timeout=10)
    return time.monotonic() - started


async def timed_reply_data(person: UserDriver, text: str, data: str) -> float:
    started = time.monotonic()
    await person.send(text)
    await person.wait_for(has_data(data), timeout=10)
    return time.monotonic() - started


@pytest.mark.timing
async def test_replies_are_not_delayed_behind_paced_bulk_sends(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory(rate_limits=True, **SHIPPED_PACING)
    people = [h.person(f"P{i}", "en") for i in range(60)]
    await asyncio.gather(*(onboard(p) for p in people))
    quiet = [h.emu.add_user(f"Sub{i}", started=True) for i in range(90)]
    now = h.services.clock.now()
    async with h.services.store.transaction() as uow:
        for sub in quiet:
            await uow.outbox.enqueue(
                chat_id=sub.chat_id,
                method="sendMessage",
                params={"chat_id": sub.chat_id, "text": "A notice"},
                now=now,
            )
    h.services.wake_outbox()
    await asyncio.sleep(0.3)  # the bulk is under way: about 30 a second
    # Sixty people write at the same moment: more replies than 30 a second, on top of it.
    elapsed = await asyncio.gather(*(timed_reply(p, "/help", "/language") for p in people))
    pending = (await h.services.outbox.counts()).get("pending", 0)
    assert pending >= 30, "the bulk should still be going while the replies came"
    assert max(elapsed) < 1.0, f"a reply waited {max(elapsed):.2f}s behind the bulk"
    await h.settle()
    assert all(len(sub.messages()) == 1 for sub in quiet)
    assert h.emu.rate_limited == 0, "neither path may meet Telegram's flood control"


async def test_a_429_on_a_reply_is_honoured_and_the_replies_keep_their_order(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory(rate_limits=True, **SHIPPED_PACING)
    person = h.person("Ivan", "en")
    await onboard(person)
    h.emu.faults.add("sendMessage", kind="429", retry_after=1, chat_id=person.chat_id)
    started = time.monotonic()
    await person.send("/help")
    await person.send("/privacy")
    privacy = await person.wait_for(
        lambda m: "store" in m.text.lower() and "/language" not in m.text, timeout=10
    )
    help_message = next(m for m in person.messages() if "/language" in m.text)
    assert help_message.message_id < privacy.message_id, "replies must keep their order"
    assert time.monotonic() - started >= 1.0, "the retry must wait for retry_after"
    assert [f["kind"] for f in h.emu.faults.fired] == ["429"]
    # Told to wait, the bot waited: nothing of this chat's reached Telegram meanwhile.
    sends = [
        e["t"]
        for e in h.emu.sent_log
        if e["method"] == "sendMessage"
        and e["params"].get("chat_id") == person.chat_id
        and e["t"] >= started
    ]
    assert sends and sends[0] - started >= 1.0
    assert h.emu.rate_limited == 0


@pytest.mark.timing
async def test_a_4096_character_word_is_answered_quickly_and_others_are_not_held_up(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory(rate_limits=True, **SHIPPED_PACING)
    attacker = h.person("Long", "en")
    others = [h.person(f"P{i}", "en") for i in range(3)]
    for p in (attacker, *others):
        await onboard(p)
    words = ["q" * 4096, "ж" * 4096, "😀" * 2048, "ab" * 2048, "x\u200f" * 2048]

    async def normal_questions(p: UserDriver) -> list[float]:
        times = []
        for _ in range(3):
            times.append(await timed_reply_data(p, "work permit", "f:doc.work_permit"))
        return times

    with watch_loop() as loop:
        background = [asyncio.create_task(normal_questions(p)) for p in others]
        for word in words:
            started = time.monotonic()
            await attacker.send(word)
            await attacker.wait_for(lambda m: bool(m.buttons), timeout=10)
            assert time.monotonic() - started < 1.0
        other_times = [t for task in background for t in await task]
    assert loop.worst < 0.1, (
        f"one step held the event loop {loop.worst * 1000:.0f} ms ({loop.worst_what})"
    )
    assert max(other_times) < 1.0, f"other people waited up to {max(other_times):.2f}s"
