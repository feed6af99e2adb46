"""Telegram misbehaving (the emulator's fault injection): 429 with retry_after, 500s, hanging
requests, dropped connections, on getUpdates and on sends; a person who blocked the bot.
The bot recovers, relays arrive once the fault clears (once, in order), a blocked person is
marked unreachable and their case topic says so."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.sandbox import UserDriver
from tests.e2e.flows_helpers import onboard, open_request
from tests.e2e.harness import Harness
from tests.faults.helpers import all_bot_messages, count_containing, query

HELP_MARK = "/delete"


async def _case_with_topic(h: Harness, name: str) -> tuple[UserDriver, int, int]:
    person = h.person(name, "en")
    await onboard(person)
    case_id = await open_request(person, f"{name} needs help with a passport")
    await h.settle()
    threads = [t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} ")]
    assert len(threads) == 1, h.staff.topics()
    return person, case_id, threads[0]


def _texts(person: UserDriver, needle: str) -> list[str]:
    return [m.text for m in all_bot_messages(person._emu, person.chat_id) if needle in m.text]


def _fired(h: Harness, method: str) -> list[str]:
    return [f["kind"] for f in h.emu.faults.fired if f["method"] == method]


async def test_get_updates_faults_are_retried_no_update_lost_and_a_failed_answer_apologises(
    harness: Harness,
) -> None:
    h = harness
    h.emu.faults.timeout_seconds = 0.5  # a hanging getUpdates ends in 504 after this long
    person = h.person("Polly", "en")
    faults: list[dict[str, Any]] = [
        {"kind": "500"},
        {
            "kind": "429",
            "count": 3,
            "retry_after": 1,
        },  # PTB's limiter retries twice, then the poller waits
        {"kind": "timeout"},
        {"kind": "drop"},
    ]
    for n, fault in enumerate(faults):
        h.emu.faults.add(method="getUpdates", **fault)
        await person.send(f"/help {n}")
        await person.wait_for(HELP_MARK, timeout=15)
    assert _fired(h, "getUpdates") == ["500", "429", "429", "429", "timeout", "drop"]
    await h.settle()
    assert await h.services.inbox.counts() == {"done": len(faults)}
    assert count_containing(h.emu, person.chat_id, HELP_MARK) == len(faults)

    # A menu answer is sent directly, not through the outbox: when it fails it is not retried,
    # but the person is not left in silence, and the update is recorded as failed.
    h.emu.faults.add(method="sendMessage", chat_id=person.chat_id, kind="500")
    await person.send("/help")
    await person.wait_for("something went wrong", timeout=10)
    await person.send("/help")
    await person.wait_for(HELP_MARK, timeout=10)
    await h.settle()
    assert await h.services.inbox.counts() == {"done": len(faults) + 1, "failed": 1}
    assert h.emu.internal_errors == []


async def test_relays_to_a_person_survive_faults_once_and_in_order_and_lost_answers_are_resent(
    harness: Harness,
) -> None:
    h = harness
    h.emu.faults.timeout_seconds = 0.5
    person, case_id, thread = await _case_with_topic(h, "Rena")
    aysel = h.caseworkers[0]
    rounds: list[tuple[str, dict[str, Any]]] = [
        ("500", {"kind": "500"}),
        ("drop", {"kind": "drop"}),
        ("429", {"kind": "429", "count": 3, "retry_after": 1}),
        ("timeout", {"kind": "timeout"}),
    ]
    sent: list[str] = []
    for label, fault in rounds:
        h.emu.faults.add(method="sendMessage", chat_id=person.chat_id, **fault)
        texts = [f"Reply {label} A to case {case_id}", f"Reply {label} B to case {case_id}"]
        for text in texts:  # two at once: the second waits behind the first
            await aysel.send_in(h.staff, text, thread_id=thread)
        sent += texts
        await person.wait_for(texts[1], timeout=15)
        assert h.emu.faults.pending() == 0
    await h.settle()
    received = [t for t in _texts(person, f"to case {case_id}")]
    assert [next(s for s in sent if s in r) for r in received] == sent  # each once, in order
    counts = await h.services.outbox.counts()
    assert set(counts) == {"sent"}, counts

    # `drop_after`: Telegram delivered, then the connection died before the answer came back.
    # The bot cannot tell and sends again: at-least-once, the same window as a SIGKILL between
    # a send and its record (no Bot API method takes an idempotency key). Measured, not hidden.
    h.emu.faults.add(method="sendMessage", kind="drop_after", chat_id=person.chat_id)
    text = f"Reply after a lost answer, case {case_id}"
    await aysel.send_in(h.staff, text, thread_id=thread)
    await person.wait_for(text, timeout=10)
    await h.settle()
    assert count_containing(h.emu, person.chat_id, text) == 2  # 1 would mean the window closed
    assert h.emu.internal_errors == []


async def test_staff_side_sends_survive_faults_topic_card_and_copies_arrive_once_in_order(
    harness: Harness,
) -> None:
    h = harness
    staff = h.staff
    for fault in ({"kind": "500"}, {"kind": "429", "retry_after": 1}):
        h.emu.faults.add(method="createForumTopic", **fault)
    # The person's texts are sent into the staff chat under a mark (sendMessage, like the card).
    h.emu.faults.add(method="sendMessage", chat_id=staff.chat_id, kind="500")
    h.emu.faults.add(method="sendMessage", chat_id=staff.chat_id, kind="drop")
    person, case_id, thread = await _case_with_topic(h, "Vusal")
    assert _fired(h, "createForumTopic") == ["500", "429"]
    in_topic = staff.messages(thread)
    assert in_topic[0].text.startswith("🗂") and f"#{case_id}" in in_topic[0].text  # the card first
    assert [m.text.split("\n", 1)[-1].strip() for m in in_topic].count(
        "Vusal needs help with a passport"
    ) == 1

    h.emu.faults.add(method="sendMessage", chat_id=staff.chat_id, kind="drop")
    await person.send("One more thing: my old address")
    await staff.wait_for("One more thing: my old address", thread_id=thread, timeout=10)
    await h.settle()
    assert count_containing(h.emu, staff.chat_id, "One more thing", thread_id=thread) == 1
    assert [t.name for t in staff.topics() if t.name.startswith("#")] == [
        f"#{case_id} · documents · en"
    ]
    assert h.emu.internal_errors == []


async def test_a_failure_while_creating_a_team_topic_is_retried_not_fatal_to_the_outbox(
    harness: Harness,
) -> None:
    """The team's announcement topic is created by a hook on first use: Telegram failing
    there must be retried like a failed send, not end the outbox worker (and the bot)."""
    h = harness
    staff = h.staff
    h.emu.faults.timeout_seconds = 0.5
    h.emu.faults.add(method="sendMessage", chat_id=staff.chat_id, kind="timeout")  # holds the card
    person = h.person("Elvin", "en")
    await onboard(person)
    opening = asyncio.ensure_future(
        open_request(person, "Elvin needs a passport", category="documents")
    )
    deadline = time.monotonic() + 20
    while not h.emu.faults.fired:  # the case topic exists, the card hangs: the team topic is next
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    h.emu.faults.add(method="createForumTopic", chat_id=staff.chat_id, kind="500", count=2)
    case_id = await opening
    await staff.wait_for(f"New case #{case_id}", timeout=15)
    await h.settle()
    runtime = h.runtime
    assert runtime is not None and not any(t.done() for t in runtime._tasks)
    assert _fired(h, "createForumTopic") == ["500", "500"]
    assert sorted(t.name for t in staff.topics()) == [f"#{case_id} · documents · en", "Documents"]


async def test_a_person_who_blocked_the_bot_is_marked_unreachable_and_the_topic_says_so(
    harness: Harness,
) -> None:
    h = harness
    person, case_id, thread = await _case_with_topic(h, "Gunel")
    person.block_bot()
    await h.settle()
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, f"Are you there? case {case_id}", thread_id=thread)
    await h.staff.wait_for("blocked the bot", thread_id=thread, timeout=10)
    await aysel.send_in(h.staff, f"Second try, case {case_id}", thread_id=thread)
    await h.settle()
    assert (
        query(h.db_path, "SELECT unreachable FROM people WHERE user_id = ?", (person.user_id,))[0][
            0
        ]
        == 1
    )
    assert count_containing(h.emu, h.staff.chat_id, "blocked the bot", thread_id=thread) == 1
    # Finished rows forget the person's chat id (privacy): find them by case and kind.
    statuses = [
        r["status"]
        for r in query(
            h.db_path,
            "SELECT status FROM outbox WHERE case_id = ? AND kind = 'to_person'",
            (case_id,),
        )
    ]
    assert "pending" not in statuses and statuses.count("unreachable") == 2, statuses
    assert count_containing(h.emu, person.chat_id, "Are you there?") == 0

    # Writing again unblocks the bot (Telegram's "Restart"): reachable, and relayed as before.
    await person.send("Sorry, I had blocked you")
    await h.staff.wait_for("Sorry, I had blocked you", thread_id=thread, timeout=10)
    await h.settle()
    assert (
        query(h.db_path, "SELECT unreachable FROM people WHERE user_id = ?", (person.user_id,))[0][
            0
        ]
        == 0
    )


async def test_a_block_notice_that_arrives_after_the_failed_send_keeps_the_person_unreachable(
    harness: Harness,
) -> None:
    """Telegram does not order my_chat_member against our sends: the 403 can come first (e.g.
    the person blocked the bot while it was down, and the outbox ran before the poller)."""
    h = harness
    person, _case_id, thread = await _case_with_topic(h, "Ilkin")
    h.emu.users[person.user_id].blocked = True  # blocked; the update about it comes later
    await h.caseworkers[0].send_in(h.staff, "Hello?", thread_id=thread)
    await h.staff.wait_for("blocked the bot", thread_id=thread, timeout=10)
    chat = h.emu.chats[person.chat_id]
    h.emu.enqueue_update(
        "my_chat_member",
        {
            "chat": h.emu.chat_json(chat),
            "from": h.emu.user_json(person.user_id),
            "date": int(time.time()),
            "old_chat_member": h.emu._member_json(chat, h.emu.bot.id, "member"),
            "new_chat_member": h.emu._member_json(chat, h.emu.bot.id, "kicked"),
        },
    )
    await h.settle()
    assert await h.services.inbox.counts() == {"done": await _inbox_total(h)}
    assert (
        query(h.db_path, "SELECT unreachable FROM people WHERE user_id = ?", (person.user_id,))[0][
            0
        ]
        == 1
    )


async def test_a_500_on_get_chat_at_start_does_not_turn_off_forum_topics(harness: Harness) -> None:
    h = harness
    await h.stop()
    h.emu.faults.add(method="getChat", kind="500")
    await h.start()
    person = h.person("Tural", "en")
    await onboard(person)
    case_id = await open_request(person, "help after a hiccup")
    await h.settle()
    assert [t.name for t in h.staff.topics() if t.name.startswith("#")] == [
        f"#{case_id} · documents · en"
    ]


async def _inbox_total(h: Harness) -> int:
    return sum((await h.services.inbox.counts()).values())
