"""Replays: an update whose handler ran but whose inbox row was not marked done before the
process died is handled again after the restart (at-least-once). These tests run every
update twice in a row, which is what such a crash leaves behind, and check that the second
run changes nothing a person or caseworker would notice beyond a repeated menu answer.

Deterministic counterparts of what the SIGKILL test can only hit by chance."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.delivery.inbox_worker import current_outcome
from tests.e2e.flows_helpers import onboard, open_request
from tests.e2e.harness import Harness
from tests.faults.helpers import count_containing, query


def _handle_every_update_twice(h: Harness) -> None:
    runtime = h.runtime
    assert runtime is not None and runtime.dispatcher is not None
    original = runtime.dispatcher._process

    async def twice(row):
        await original(row)
        await original(row)

    runtime.dispatcher._process = twice


def _draft(h: Harness, user_id: int) -> tuple[str | None, dict[str, Any]]:
    row = query(h.db_path, "SELECT state, state_data FROM people WHERE user_id = ?", (user_id,))[0]
    return row["state"], json.loads(row["state_data"] or "{}")


async def _to_describe_step(h: Harness, name: str):
    person = h.person(name, "en")
    await onboard(person)
    await person.press_data("r:new", person.last().message_id)
    await h.settle()
    await person.press_data("i:cat:documents", person.last().message_id)
    await h.settle()
    return person


async def test_replayed_relays_and_staff_actions_are_not_repeated(harness: Harness) -> None:
    """What the outbox and the case tables already make idempotent (dedupe keys, update ids)."""
    h = harness
    person = h.person("Once", "en")
    await onboard(person)
    case_id = await open_request(person, "replay me")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    _handle_every_update_twice(h)
    aysel = h.caseworkers[0]
    card = next(m for m in h.staff.messages(thread) if m.text.startswith("🗂"))
    await aysel.press_in(h.staff, "Claim", card)
    await aysel.send_in(h.staff, "One answer only", thread_id=thread)
    await h.settle()
    await person.send("One question only")
    await h.settle()
    assert count_containing(h.emu, person.chat_id, "One answer only") == 1
    assert count_containing(h.emu, h.staff.chat_id, "One question only", thread_id=thread) == 1
    assert len(query(h.db_path, "SELECT id FROM cases")) == 1
    rows = query(
        h.db_path, "SELECT direction, text FROM case_messages WHERE case_id = ?", (case_id,)
    )
    assert sorted((r["direction"], r["text"]) for r in rows) == [
        ("in", "One question only"),
        ("in", "replay me"),
        ("out", "One answer only"),
    ]
    assert [r["action"] for r in query(h.db_path, "SELECT action FROM audit_log ORDER BY id")] == [
        "claim",
        "reply",
    ]


async def test_a_double_tap_on_done_keeps_the_request_draft(harness: Harness) -> None:
    h = harness
    person = await _to_describe_step(h, "DoubleTap")
    await person.send("my passport was stolen")
    await h.settle()
    describe = person.last()
    await person.press_data("i:done", describe.message_id)
    await person.press_data("i:done", describe.message_id)  # the same button, tapped twice
    await h.settle()
    state, draft = _draft(h, person.user_id)
    assert state == "intake" and draft.get("step") == "phone", (state, draft)


async def test_a_replayed_description_message_is_kept_once(harness: Harness) -> None:
    h = harness
    person = await _to_describe_step(h, "Replayed")
    _handle_every_update_twice(h)
    await person.send("my passport was stolen")
    await h.settle()
    _state, draft = _draft(h, person.user_id)
    parts = draft.get("parts")
    assert isinstance(parts, list) and len(parts) == 1, parts


async def test_a_replayed_rating_comment_does_not_reopen_the_closed_case(harness: Harness) -> None:
    h = harness
    person = h.person("Rated", "en")
    await onboard(person)
    case_id = await open_request(person, "please close me")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    aysel = h.caseworkers[0]

    def card():
        return [m for m in h.staff.messages(thread) if m.text.startswith("🗂")][-1]

    await aysel.press_in(h.staff, "Status", card())
    await h.settle()
    await aysel.press_in(h.staff, "Closed", card())
    await h.settle()
    rating = person.last()
    await person.press_data(f"r:rate:{case_id}:5", rating.message_id)
    await h.settle()
    _handle_every_update_twice(h)
    await person.send("great service, thank you")
    await h.settle()
    row = await h.services.cases.get(case_id)
    assert row is not None and row.rating_comment == "great service, thank you"
    assert row.status == "closed", row.status
    # Not relayed into the closed case: only the one comment notice (not twice on a replay).
    assert count_containing(h.emu, h.staff.chat_id, "great service", thread_id=thread) == 1
    assert count_containing(h.emu, h.staff.chat_id, "comment on the help", thread_id=thread) == 1


@pytest.mark.xfail(
    strict=True,
    reason="a recognised replay is skipped without an answer (handlers/common.py resolve_person: "
    "update_id <= person.last_update_id -> ApplicationHandlerStop; intake._add_part: part already "
    "in the draft -> return): when the first run died after committing but before its answer, "
    "the person never gets the next screen ('Received … / Done' here) and is left waiting",
)
async def test_a_replayed_description_message_still_gets_its_answer(harness: Harness) -> None:
    h = harness
    person = await _to_describe_step(h, "NoAnswer")
    runtime = h.runtime
    assert runtime is not None and runtime.dispatcher is not None
    original = runtime.dispatcher._process

    async def dies_before_answering_then_replays(row):
        if '"my passport was stolen"' not in row.payload:
            await original(row)
            return
        h.emu.faults.add(method="sendMessage", chat_id=person.chat_id, kind="drop")  # answer lost
        await original(row)
        outcome = current_outcome.get()
        assert outcome is not None
        outcome.error = None  # the process died here, before recording anything; then restarted:
        await original(row)

    runtime.dispatcher._process = dies_before_answering_then_replays
    await person.send("my passport was stolen")
    await h.settle()
    _state, draft = _draft(h, person.user_id)
    assert isinstance(draft.get("parts"), list) and len(draft["parts"]) == 1
    done = [
        m
        for m in person.messages()
        if any(b.callback_data == "i:done" for r in m.buttons for b in r)
    ]
    assert done, person.messages()
