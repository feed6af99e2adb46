"""Every update kind and every message content kind of the Bot API (api.json, 10.1), random
but valid, pushed through the emulator into the real bot: no handler error, every message a
person sends in their private chat answered, every button press answered in time, no Bot API
call refused but where a test expects it. Then one test per kind of trouble found this way."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

import pytest

from bot.sandbox.driver import UserDriver
from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness, HarnessFactory
from tests.faults.helpers import all_bot_messages
from tests.schema_updates import Generator, World

# Hundreds per run in `make test`; UPDATE_KINDS_COUNT=5000 for a long run.
COUNT = int(os.environ.get("UPDATE_KINDS_COUNT", "400"))
# What the bot may be refused without a bug: an edit of a message Telegram no longer has
# (it then sends a new one) or of one already showing the same.
EXPECTED_REFUSALS = (
    "message to edit not found",
    "message is not modified",
    "message can't be edited",
)


async def _drain(h: Harness) -> None:
    """Until the bot has fetched (and confirmed) every update, handled them and sent its outbox."""
    deadline = time.monotonic() + 60
    while h.emu.pending_updates:
        assert time.monotonic() < deadline, "updates never fetched"
        await asyncio.sleep(0.02)
    await h.settle()


async def _world(h: Harness) -> tuple[World, list[UserDriver]]:
    people = [
        h.person(f"Gen{i}", lang) for i, lang in enumerate(["en", "ru", "fa", "az", "tr", None])
    ]
    for p in people[:3]:
        await onboard(p)
    for p in people:
        p.user.started = True
    await open_request(people[0], "a case of the generated world")
    await h.settle()
    stranger_group = h.emu.add_group("Strangers", forum=False, members=people[3:])
    channel = h.emu.add_channel("News")
    world = World(
        people=[p.user_id for p in people],
        staff_chat=h.staff.chat_id,
        staff_members=[cw.user_id for cw in (*h.caseworkers, h.admin)],
        other_group=stranger_group.chat_id,
        channel=channel.id,
    )
    return world, people


async def test_updates_of_every_kind_from_the_schema(harness_factory: HarnessFactory) -> None:
    h = await harness_factory(max_messages_per_minute=100_000)
    h.emu.deliver_everything = True
    world, _people = await _world(h)
    gen = Generator(
        h.emu, world, random.Random(int(os.environ.get("UPDATE_KINDS_SEED", "20261201")))
    )
    kinds = gen.update_kinds()
    contents = gen.message_kinds()
    plan = [(k, None) for k in kinds] + [("message", c) for c in contents]
    plan += [(gen.rng.choice(kinds), None) for _ in range(max(0, COUNT - len(plan)))]
    gen.rng.shuffle(plan)
    expect_answer: list[tuple[int, int]] = []  # (chat, message id) of a person's private message
    presses: list[str] = []
    sent = Counter[str]()
    for n, (kind, content) in enumerate(plan):
        payload = gen.update(kind, content)
        h.emu.inject_update(kind, payload)
        sent[kind] += 1
        if kind == "message" and payload["chat"]["type"] == "private" and _from_a_person(payload):
            expect_answer.append((payload["chat"]["id"], payload["message_id"]))
        if kind == "callback_query":
            presses.append(payload["id"])
        if n % 25 == 24:
            await _drain(h)
    await _drain(h)
    assert h.runtime is not None and h.runtime.dispatcher is not None
    assert h.runtime.dispatcher.processed + h.runtime.dispatcher.failed >= len(plan)
    assert set(kinds) <= set(sent), set(kinds) - set(sent)

    failed = await h.services.store.executor.fetchall(
        "SELECT update_id, error FROM inbox WHERE status = 'failed'"
    )
    assert [dict(r) for r in failed] == []
    assert h.emu.internal_errors == [], h.emu.internal_errors[:1]
    unanswered = [
        (c, m)
        for c, m in expect_answer
        if not any(b.message_id > m for b in all_bot_messages(h.emu, c))
    ]
    assert unanswered == [], unanswered[:5]
    late = [q for q in presses if not h.emu.callback_queries[q].answered]
    assert late == [], [h.emu.callback_queries[q].data for q in late[:5]]
    refused = [
        e for e in h.emu.error_log if not any(x in e["description"] for x in EXPECTED_REFUSALS)
    ]
    assert refused == [], refused[:3]


def _from_a_person(message: dict[str, object]) -> bool:
    """A message a person writes (text, media, a contact...), not a service message."""
    from bot.sandbox.emulator import PERSON_CONTENT_FIELDS

    return any(k in PERSON_CONTENT_FIELDS for k in message)


# -- one test per kind of trouble --------------------------------------------------------------


async def test_business_messages_are_ignored_quietly(harness: Harness) -> None:
    h = harness
    h.emu.deliver_everything = True
    customer = h.person("Customer", "en")
    customer.user.started = True
    chat = h.emu.chat_json(h.emu.chats[customer.chat_id])
    extras: list[dict[str, Any]] = [
        {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
        {
            "contact": {
                "phone_number": "+994501234567",
                "first_name": "C",
                "user_id": customer.user_id,
            }
        },
        {"text": "I want to ask a caseworker"},
    ]
    for n, extra in enumerate(extras):
        h.emu.inject_update(
            "business_message",
            {
                "message_id": 1000 + n,
                "date": int(time.time()),
                "chat": chat,
                "from": h.emu.user_json(customer.user_id),
                "business_connection_id": "bc-1",
                **extra,
            },
        )
    await _drain(h)
    assert all_bot_messages(h.emu, customer.chat_id) == []
    assert await h.services.people.get(customer.user_id) is None  # nobody was created for it


async def test_an_edit_never_runs_a_command_and_gets_one_notice(harness: Harness) -> None:
    h = harness
    person = h.person("Editor", "en")
    await onboard(person)
    mid = await person.send("a question")
    await h.settle()
    before = len(person.messages())
    for text in ("/help", "/delete", "/start", "/mydata"):
        await person.edit(mid, text)
    await h.settle()
    new = [m.text for m in person.messages()[before:]]
    assert len(new) == 1 and "edits" in new[0], new
    assert not any("/language" in t or "Delete your data" in t for t in new)


async def test_a_press_under_a_message_the_bot_cannot_see_gets_a_fresh_answer(
    harness: Harness,
) -> None:
    h = harness
    person = h.person("Old", "en")
    await onboard(person)
    chat = h.emu.chat_json(h.emu.chats[person.chat_id])
    qid = "4242"
    h.emu.inject_update(
        "callback_query",
        {
            "id": qid,
            "from": h.emu.user_json(person.user_id),
            "chat_instance": "1",
            "data": "m:",
            "message": {"chat": chat, "message_id": 999_999, "date": 0},
        },
    )
    await _drain(h)
    assert h.emu.callback_queries[qid].answered
    assert not [e for e in h.emu.error_log if e["method"].startswith("edit")]  # no doomed edit
    assert any(has_data("e:")(m) for m in person.messages()[-1:])  # the menu, as a new message


async def test_what_telegram_cannot_copy_is_described_to_the_caseworker(harness: Harness) -> None:
    h = harness
    h.emu.deliver_everything = True
    person = h.person("Sender", "en")
    await onboard(person)
    case_id = await open_request(person, "my case")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    chat = h.emu.chat_json(h.emu.chats[person.chat_id])
    sender = h.emu.user_json(person.user_id)
    kinds: dict[str, dict[str, Any]] = {
        "pinned_message": {"pinned_message": {"chat": chat, "message_id": 1, "date": 0}},
        "web_app_data": {"web_app_data": {"data": "x", "button_text": "Open"}},
        "quiz": {
            "poll": {
                "id": "p1",
                "question": "2+2?",
                "options": [{"text": "4", "voter_count": 0}],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "quiz",
                "allows_multiple_answers": False,
            }
        },
        "invoice": {
            "invoice": {
                "title": "t",
                "description": "d",
                "start_parameter": "s",
                "currency": "XTR",
                "total_amount": 1,
            }
        },
    }
    for extra in kinds.values():
        mid = h.emu.chats[person.chat_id].take_message_id()
        h.emu.inject_update(
            "message",
            {"message_id": mid, "date": int(time.time()), "chat": chat, "from": sender, **extra},
        )
    await person.send_contact("+994501112233")
    await _drain(h)
    refused = [e for e in h.emu.error_log if e["method"] == "copyMessage"]
    assert refused == [], refused
    notes = [m.text for m in h.staff.messages(thread) if "cannot be shown here" in m.text]
    assert len(notes) >= 3, [m.text for m in h.staff.messages(thread)]


async def test_every_press_in_the_staff_chat_is_answered_and_changes_no_card(
    harness: Harness,
) -> None:
    h = harness
    h.emu.deliver_everything = True
    person = h.person("Owner", "en")
    await onboard(person)
    case_id = await open_request(person, "case")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    card = next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))
    text_before = card.text
    aysel = h.caseworkers[0]
    presses = [
        h.emu.person_press(aysel.user_id, h.staff.chat_id, card.message_id, data)
        for data in (
            "m:",
            "e:",
            "f:doc.passport",
            "l:ru",
            "p:del:ok",
            "i:ok",
            "noop",
            "c:",
            "c:x:y",
        )
    ]
    staff_chat = h.emu.chat_json(h.emu.chats[h.staff.chat_id])
    h.emu.inject_update(
        "callback_query",
        {
            "id": "777",
            "from": h.emu.user_json(aysel.user_id),
            "chat_instance": "2",
            "data": f"c:{case_id}:status",
            "message": {"chat": staff_chat, "message_id": 123_456, "date": 0},
        },
    )
    presses.append("777")
    await _drain(h)
    assert [q for q in presses if not h.emu.callback_queries[q].answered] == []
    assert h.emu.chats[h.staff.chat_id].messages[card.message_id].text == text_before
    assert h.emu.chats[h.staff.chat_id].messages[card.message_id].reply_markup == card.reply_markup


@pytest.mark.timing
async def test_a_caseworkers_press_is_answered_at_once_while_the_group_is_at_its_cap(
    harness_factory: HarnessFactory,
) -> None:
    h = await harness_factory(
        rate_limits=True,
        pace_group_per_minute=20,
        pace_chat_interval=1.0,
        pace_overall_per_second=30.0,
    )
    person = h.person("Busy", "en")
    await onboard(person)
    case_id = await open_request(person, "a busy hour")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    card = next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))
    assert h.runtime is not None
    limits = h.runtime.limits
    assert limits is not None
    while limits.group_delay(h.staff.chat_id) == 0:  # the group's minute is used up
        limits.take_proactive(h.staff.chat_id)
    aysel = h.caseworkers[0]
    await aysel.send_in(h.staff, "/queue", thread_id=thread)  # a reply that must wait for a slot
    started = time.monotonic()
    qid = h.emu.person_press(aysel.user_id, h.staff.chat_id, card.message_id, f"c:{case_id}:claim")
    while not h.emu.callback_queries[qid].answered:
        assert time.monotonic() - started < 3, "the press waited behind the group's cap"
        await asyncio.sleep(0.02)
    row = await h.services.cases.get(case_id)
    assert row is not None and row.record.assignee_id == aysel.user_id
