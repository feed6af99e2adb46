"""The casework service on its own (no Telegram, no emulator): opening cases, relaying both
ways, status changes, notes and the card, checked in the store and the outbox they fill."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.bundle.service import LoadedContent
from bot.cases import lifecycle
from bot.cases.lifecycle import InvalidTransition
from bot.casework.service import (
    CARD,
    TEAM_THREAD,
    THREAD,
    Draft,
    Part,
    add_note,
    change,
    open_case,
    relay_from_person,
    relay_to_person,
    render_card,
)
from bot.config import Settings
from bot.privacy.data import erase_person
from bot.services import Services
from bot.storage.cases import CaseRow
from bot.ui.bidi import plain_units
from bot.ui.screen import TEXT_LIMIT
from tests.unit.core_services import ForumStaff, core_services

STAFF = -100_555
ADMIN = 11
CASEWORKER = 5_550_003
MARKUP = "<b>bold</b> & <a href='x'>link</a>"  # what a person may type
ESCAPED = "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;"

_people = itertools.count(8_000_001)
_updates = itertools.count(1)


@pytest_asyncio.fixture
async def services(tmp_path: Path, real_content: LoadedContent) -> AsyncIterator[Services]:
    settings = Settings(staff_chat_id=STAFF, admin_ids=frozenset({ADMIN}))
    staff = ForumStaff(STAFF, ADMIN, (CASEWORKER,))
    async with core_services(tmp_path / "casework.db", real_content, settings, staff=staff) as s:
        yield s


def _draft(user_id: int, parts: list[Part], **fields: Any) -> Draft:
    values: dict[str, Any] = {
        "user_id": user_id,
        "language": "en",
        "audience": None,
        "category": "documents",
        "parts": parts,
        "region": "Baku",
        "adults": 1,
        "children": 2,
        "vulnerabilities": [],
        "phone": None,
        "item_id": None,
        "flow": None,
    }
    return Draft(**(values | fields))


async def _new_case(services: Services, text: str = "lost my passport", **fields: Any) -> CaseRow:
    user_id = next(_people)
    await services.people.touch(user_id, services.clock.now())
    n = next(_updates)
    case_id = await open_case(services, _draft(user_id, [Part(n, "text", text)], **fields), n)
    row = await services.cases.get(case_id)
    assert row is not None
    return row


async def _outbox(services: Services, after: int = 0) -> list[dict[str, Any]]:
    rows = await services.store.executor.fetchall(
        "SELECT id, dedupe_key, chat_id, method, payload, kind, case_id, status FROM outbox"
        " WHERE id > ? ORDER BY id",
        (after,),
    )
    return [{**dict(r), "params": json.loads(r["payload"])} for r in rows]


async def _last_outbox_id(services: Services) -> int:
    row = await services.store.executor.fetchone("SELECT COALESCE(MAX(id), 0) AS n FROM outbox")
    assert row is not None
    return int(row["n"])


async def _audit(services: Services, case_id: int) -> list[tuple[Any, ...]]:
    return [(e.actor_id, e.action, e.detail) for e in await services.records.audit_for(case_id)]


async def _reply(
    services: Services, row: CaseRow, text: str | None, update_id: int, **fields: Any
) -> bool:
    values: dict[str, Any] = {
        "staff_chat_id": STAFF,
        "staff_message_id": 900 + update_id,
        "author_id": CASEWORKER,
        "author_name": "Aysel",
        "text": text,
        "caption": None,
        "kind": "text",
        "file_id": None,
        "update_id": update_id,
    }
    return await relay_to_person(services, row, **(values | fields))


def _status_to(status: str, services: Services) -> Any:
    now = services.clock.now()
    return lambda r: lifecycle.transition(r, status, now)


async def _set_status(services: Services, row: CaseRow, status: str, dedupe: str) -> Any:
    """A caseworker's status button: `change` as the staff card calls it."""
    return await change(
        services,
        row,
        _status_to(status, services),
        actor_id=CASEWORKER,
        action="st",
        detail=status,
        dedupe=dedupe,
    )


# -- open_case ------------------------------------------------------------------------------------


async def test_open_case_stores_the_case_and_queues_the_staff_opening(services: Services) -> None:
    user_id = next(_people)
    now = services.clock.now()
    await services.people.touch(user_id, now)
    await services.people.set_state(user_id, "intake", {"category": "documents"})
    parts = [
        Part(41, "text", f"I lost my passport {MARKUP}"),
        Part(42, "photo", "its last page <i>", "photo-file"),
        Part(43, "sticker", None, "sticker-file"),
    ]
    draft = _draft(user_id, parts, vulnerabilities=["children"], phone="+994 50 000 00 01")

    case_id = await open_case(services, draft, source_update_id=40)

    row = await services.cases.get(case_id)
    assert row is not None and row.user_id == user_id and row.status == "new"
    assert (row.record.category, row.record.language, row.record.team) == (
        "documents",
        "en",
        "documents",
    )
    assert row.record.priority == 0  # children raise it (routing.yaml)
    assert row.staff_chat_id == STAFF and row.record.region == "Baku"
    assert row.description == f"I lost my passport {MARKUP}\n\nits last page <i>"
    messages = await services.cases.messages(case_id)
    assert [(m.direction, m.author_id, m.media_kind, m.file_id) for m in messages] == [
        ("in", user_id, None, None),
        ("in", user_id, "photo", "photo-file"),
        ("in", user_id, "sticker", "sticker-file"),
    ]
    person = await services.people.get(user_id)
    assert person is not None and person.state is None and person.state_data == {}
    assert person.phone == "+994 50 000 00 01"  # shared for the request: kept
    record = await services.abuse.record(user_id)
    assert record is not None and record["requests_that_day"] == 1

    rows = await _outbox(services)
    assert [(r["kind"], r["method"], r["dedupe_key"]) for r in rows] == [
        ("topic", "createForumTopic", f"case:{case_id}:topic"),
        ("card", "sendMessage", f"case:{case_id}:card"),
        ("team_note", "sendMessage", f"case:{case_id}:team"),
        ("to_staff", "sendMessage", f"case:{case_id}:part:41"),
        ("to_staff", "copyMessage", f"case:{case_id}:part:42"),
        ("to_staff", "sendMessage", f"case:{case_id}:part:43:mark"),
        ("to_staff", "copyMessage", f"case:{case_id}:part:43"),
    ]
    assert all(r["chat_id"] == STAFF and r["case_id"] == case_id for r in rows)
    assert all(r["status"] == "pending" for r in rows)
    topic, card, team, text, photo, mark, sticker = (r["params"] for r in rows)
    assert topic == {"chat_id": STAFF, "name": f"#{case_id} · documents · en"}
    assert card["text"] == CARD and card["message_thread_id"] == THREAD
    assert team["message_thread_id"] == TEAM_THREAD and f"New case #{case_id}" in team["text"]
    assert text["message_thread_id"] == THREAD and text["parse_mode"] == "HTML"
    assert text["text"].startswith(f"💬 <b>From the person</b> · #{case_id}\n\n")
    assert text["text"].endswith(f"I lost my passport {ESCAPED}")
    assert (photo["from_chat_id"], photo["message_id"]) == (user_id, 42)
    assert photo["caption"].endswith("its last page &lt;i&gt;")
    assert "sent a sticker:" in mark["text"]
    assert (sticker["from_chat_id"], sticker["message_id"], "caption" in sticker) == (
        user_id,
        43,
        False,
    )


async def test_a_replayed_opening_returns_the_same_case_and_queues_nothing(
    services: Services,
) -> None:
    user_id = next(_people)
    await services.people.touch(user_id, services.clock.now())
    draft = _draft(user_id, [Part(51, "text", "help")])
    case_id = await open_case(services, draft, source_update_id=50)
    queued = await _outbox(services)

    replayed = open_case(services, draft, source_update_id=50)
    assert await asyncio.wait_for(replayed, timeout=2) == case_id

    assert await _outbox(services) == queued
    assert len(await services.cases.messages(case_id)) == 1
    assert [r.id for r in await services.cases.cases_of(user_id)] == [case_id]
    record = await services.abuse.record(user_id)
    assert record is not None and record["requests_that_day"] == 1


async def test_without_forum_topics_there_is_no_topic_and_no_team_note(
    services: Services,
) -> None:
    services.staff = None  # the bot does not know (yet) that the staff chat has topics
    row = await _new_case(services)
    assert [r["kind"] for r in await _outbox(services)] == ["card", "to_staff"]
    services.staff = ForumStaff(STAFF, ADMIN, (CASEWORKER,))
    general = await _new_case(services, category="other")  # its team has no topic of its own
    kinds = [r["kind"] for r in await _outbox(services) if r["case_id"] == general.id]
    assert row.record.team == "documents" and general.record.team == "general"
    assert kinds == ["topic", "card", "to_staff"]


async def test_without_a_staff_chat_the_case_is_stored_and_nothing_queued(
    real_content: LoadedContent, tmp_path: Path
) -> None:
    async with core_services(tmp_path / "nostaff.db", real_content, Settings()) as services:
        row = await _new_case(services)
        assert row.staff_chat_id is None and len(await services.cases.messages(row.id)) == 1
        assert await _outbox(services) == []


# -- relay_from_person ----------------------------------------------------------------------------


async def test_relay_from_person_stores_and_queues_once_per_update(services: Services) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)

    got = await relay_from_person(services, row, 61, "text", f"one more {MARKUP}", None, 610)

    assert got is not None and got.id == row.id
    queued = await _outbox(services, last)
    assert [(r["kind"], r["method"], r["dedupe_key"]) for r in queued] == [
        ("to_staff", "sendMessage", "u:610:to_staff")
    ]
    assert queued[0]["params"]["text"].endswith(f"one more {ESCAPED}")
    assert queued[0]["params"]["message_thread_id"] == THREAD
    messages = await services.cases.messages(row.id)
    assert [(m.direction, m.author_id, m.text) for m in messages[1:]] == [
        ("in", None, f"one more {MARKUP}")
    ]
    # The same update again (a crash before the inbox marked it done): nothing twice.
    again = await relay_from_person(services, row, 61, "text", f"one more {MARKUP}", None, 610)
    assert again is not None and again.id == row.id
    assert len(await _outbox(services, last)) == 1
    assert len(await services.cases.messages(row.id)) == 2
    current = await services.cases.get(row.id)
    assert current is not None and current.status == "new"


async def test_relay_from_person_copies_media_with_a_caption_marked_as_theirs(
    services: Services,
) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    assert await relay_from_person(services, row, 62, "voice", "listen & reply", "voice-1", 620)
    (queued,) = await _outbox(services, last)
    assert (queued["method"], queued["dedupe_key"]) == ("copyMessage", "u:620:to_staff")
    params = queued["params"]
    assert (params["from_chat_id"], params["message_id"], params["chat_id"]) == (
        row.user_id,
        62,
        STAFF,
    )
    assert "From the person" in params["caption"] and params["caption"].endswith(
        "listen &amp; reply"
    )
    (message,) = (await services.cases.messages(row.id))[1:]
    assert (message.media_kind, message.file_id, message.text) == (
        "voice",
        "voice-1",
        "listen & reply",
    )


async def test_a_message_to_a_waiting_case_reopens_it_and_tells_the_staff(
    services: Services,
) -> None:
    row = await _new_case(services)
    assert await _reply(services, row, "send a photo please", 630)  # claimed: in progress
    current = await services.cases.get(row.id)
    assert current is not None
    assert await _set_status(services, current, "waiting", "u:631")
    last = await _last_outbox_id(services)

    assert await relay_from_person(services, row, 63, "text", "here it is", None, 632)

    current = await services.cases.get(row.id)
    assert current is not None and current.status == "in_progress"  # back to its caseworker
    assert current.record.assignee_id == CASEWORKER
    queued = await _outbox(services, last)
    assert [(r["kind"], r["dedupe_key"]) for r in queued] == [
        ("to_staff", "u:632:to_staff"),
        ("staff_note", "u:632:reopen"),
        ("card_edit", "u:632:card"),
    ]
    assert "The person wrote again; the case is In progress now." in queued[1]["params"]["text"]
    assert queued[2]["params"]["text"] == CARD


async def test_relay_from_person_to_a_deleted_case_stores_and_queues_nothing(
    services: Services,
) -> None:
    row = await _new_case(services)
    assert row.user_id is not None
    await erase_person(services, row.user_id, services.clock.now())
    last = await _last_outbox_id(services)
    assert await relay_from_person(services, row, 64, "text", "hello?", None, 640) is None
    assert await _outbox(services, last) == []
    assert await services.cases.messages(row.id) == []


# -- relay_to_person ------------------------------------------------------------------------------


async def test_relay_to_person_signs_queues_and_records_the_first_response(
    services: Services,
) -> None:
    row = await _new_case(services)
    assert row.user_id is not None
    last = await _last_outbox_id(services)
    now = services.clock.now()

    assert await _reply(services, row, f"we can help {MARKUP}", 700)

    queued = await _outbox(services, last)
    assert [(r["kind"], r["chat_id"], r["method"], r["dedupe_key"]) for r in queued] == [
        ("to_person", row.user_id, "sendMessage", "u:700:to_person"),
        ("card_edit", STAFF, "editMessageText", "u:700:card"),  # claimed: the card changes
    ]
    text = queued[0]["params"]["text"]
    # Signed by role (the default STAFF_SIGNATURE), never by the caseworker's name.
    assert text == f"👤 <b>Caseworker</b> · #{row.id}\n\nwe can help {ESCAPED}"
    current = await services.cases.get(row.id)
    assert current is not None and current.status == "in_progress"
    assert current.record.assignee_id == CASEWORKER
    first = current.record.first_response_at
    assert first is not None and first >= now
    (out,) = [m for m in await services.cases.messages(row.id) if m.direction == "out"]
    assert (out.author_id, out.text) == (CASEWORKER, f"we can help {MARKUP}")

    # The same update again: False, nothing queued twice.
    assert not await _reply(services, row, f"we can help {MARKUP}", 700)
    assert len(await _outbox(services, last)) == 2
    # A second reply changes neither status nor assignee: no card refresh, first response kept.
    assert await _reply(services, row, "see you tomorrow", 701)
    assert [(r["kind"], r["dedupe_key"]) for r in await _outbox(services, last)][2:] == [
        ("to_person", "u:701:to_person")
    ]
    current = await services.cases.get(row.id)
    assert current is not None and current.record.first_response_at == first


async def test_a_long_reply_is_cut_into_pieces_each_with_its_own_key(services: Services) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    assert await _reply(services, row, "word " * 1500, 710)  # 7,500 characters
    pieces = [r for r in await _outbox(services, last) if r["kind"] == "to_person"]
    assert [r["dedupe_key"] for r in pieces] == ["u:710:to_person", "u:710:to_person:1"]
    for r in pieces:
        assert r["params"]["text"].startswith("👤 <b>Caseworker</b>")
        assert plain_units(r["params"]["text"]) <= TEXT_LIMIT  # as Telegram counts it
    joined = "".join(r["params"]["text"].split("\n\n", 1)[1] for r in pieces)
    assert joined.split() == ["word"] * 1500


async def test_relay_to_person_signs_with_the_escaped_first_name_when_configured(
    services: Services,
) -> None:
    services.settings = services.settings.with_overrides(staff_signature="first_name")
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    assert await _reply(services, row, "hi", 720, author_name="<Aysel & Co>")
    (to_person,) = [r for r in await _outbox(services, last) if r["kind"] == "to_person"]
    assert to_person["params"]["text"].startswith("👤 <b>&lt;Aysel &amp; Co&gt;</b> · #")


async def test_relay_to_person_copies_media_with_a_signed_caption(services: Services) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    assert await _reply(
        services,
        row,
        None,
        730,
        kind="document",
        caption="the form <filled>",
        file_id="doc-1",
        staff_message_id=7300,
    )
    (copy,) = [r for r in await _outbox(services, last) if r["kind"] == "to_person"]
    assert (copy["method"], copy["dedupe_key"]) == ("copyMessage", "u:730:to_person")
    params = copy["params"]
    assert (params["chat_id"], params["from_chat_id"], params["message_id"]) == (
        row.user_id,
        STAFF,
        7300,
    )
    assert params["caption"] == f"👤 <b>Caseworker</b> · #{row.id}\n\nthe form &lt;filled&gt;"


async def test_relay_to_person_of_a_closed_or_deleted_case_sends_nothing(
    services: Services,
) -> None:
    closed = await _new_case(services)
    assert await _set_status(services, closed, "closed", "u:740")
    deleted = await _new_case(services)
    assert deleted.user_id is not None
    await erase_person(services, deleted.user_id, services.clock.now())
    last = await _last_outbox_id(services)
    # The caller's rows are stale: the service reads the cases again and refuses.
    assert not await _reply(services, closed, "too late", 741)
    assert not await _reply(services, deleted, "too late", 742)
    assert await _outbox(services, last) == []
    assert [m.direction for m in await services.cases.messages(closed.id)] == ["in"]


# -- change ---------------------------------------------------------------------------------------


async def test_change_saves_audits_refreshes_the_card_and_tells_the_person(
    services: Services,
) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)

    record = await _set_status(services, row, "waiting", "cb:800")

    assert record is not None and record.status == "waiting"
    current = await services.cases.get(row.id)
    assert current is not None and current.status == "waiting"
    assert await _audit(services, row.id) == [(CASEWORKER, "st", "waiting")]
    queued = await _outbox(services, last)
    assert [(r["kind"], r["chat_id"], r["dedupe_key"]) for r in queued] == [
        ("card_edit", STAFF, "cb:800:card"),
        ("notice", row.user_id, "cb:800:notice"),
    ]
    notice = queued[1]["params"]["text"]
    assert f"Your request #{row.id} is now: Waiting for you." in notice
    assert "Reply here." in notice and "reply_markup" not in queued[1]["params"]


async def test_closing_asks_the_person_for_a_rating(services: Services) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    record = await _set_status(services, row, "closed", "cb:810")
    assert record is not None and record.status == "closed" and record.closed_at is not None
    (notice,) = [r for r in await _outbox(services, last) if r["kind"] == "notice"]
    keyboard = notice["params"]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for line in keyboard for b in line] == ["⭐" * n for n in range(1, 6)]
    assert "How satisfied are you" in notice["params"]["text"]


async def test_change_refuses_an_invalid_transition_and_records_nothing(
    services: Services,
) -> None:
    row = await _new_case(services)
    assert await _set_status(services, row, "closed", "cb:820")
    last = await _last_outbox_id(services)
    audit = await _audit(services, row.id)

    with pytest.raises(InvalidTransition):
        await _set_status(services, row, "waiting", "cb:821")  # closed → waiting is not allowed

    current = await services.cases.get(row.id)
    assert current is not None and current.status == "closed"
    assert await _outbox(services, last) == []
    assert await _audit(services, row.id) == audit


async def test_change_that_changes_nothing_records_nothing(services: Services) -> None:
    row = await _new_case(services)
    mutate = _status_to("in_progress", services)
    kwargs: dict[str, Any] = {"actor_id": CASEWORKER, "action": "st", "detail": "in_progress"}
    assert await change(services, row, mutate, dedupe="cb:830", **kwargs) is not None
    last = await _last_outbox_id(services)
    # The same button pressed again (or the update replayed): already so, nothing more.
    assert await change(services, row, mutate, dedupe="cb:830", **kwargs) is None
    assert await change(services, row, mutate, dedupe="cb:831", **kwargs) is None
    assert await _outbox(services, last) == []
    assert await _audit(services, row.id) == [(CASEWORKER, "st", "in_progress")]


async def test_change_without_telling_the_person_and_on_a_deleted_case(
    services: Services,
) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    assert await change(
        services,
        row,
        _status_to("closed", services),
        actor_id=None,
        action="closed_by_person",
        detail=None,
        dedupe="u:840",
        notify_person=False,
    )
    assert [r["kind"] for r in await _outbox(services, last)] == ["card_edit"]
    assert row.user_id is not None
    await erase_person(services, row.user_id, services.clock.now())
    last = await _last_outbox_id(services)
    reopened = await change(
        services,
        row,
        lambda r: lifecycle.reopen(r, services.clock.now()),
        actor_id=CASEWORKER,
        action="st",
        detail="new",
        dedupe="u:841",
    )
    assert reopened is None and await _outbox(services, last) == []
    assert [a for _actor, a, _detail in await _audit(services, row.id)] == ["closed_by_person"]


# -- add_note -------------------------------------------------------------------------------------


async def test_a_note_is_stored_and_audited_and_never_queued(services: Services) -> None:
    row = await _new_case(services)
    last = await _last_outbox_id(services)
    await add_note(services, row, CASEWORKER, CASEWORKER, f"called the school {MARKUP}", 900)
    (note,) = [m for m in await services.cases.messages(row.id) if m.direction == "note"]
    assert (note.author_id, note.text) == (CASEWORKER, f"called the school {MARKUP}")
    assert await _audit(services, row.id) == [(CASEWORKER, "note", None)]
    assert await _outbox(services, last) == []  # never sent to anyone


async def test_a_replayed_note_is_neither_stored_nor_audited_twice(services: Services) -> None:
    row = await _new_case(services)
    await add_note(services, row, CASEWORKER, CASEWORKER, "called the school", 910)
    await add_note(services, row, CASEWORKER, CASEWORKER, "called the school", 910)
    notes = [m for m in await services.cases.messages(row.id) if m.direction == "note"]
    assert len(notes) == 1
    assert await _audit(services, row.id) == [(CASEWORKER, "note", None)]


# -- render_card ----------------------------------------------------------------------------------


def _only_bold_tags_and_entities(html: str) -> bool:
    """Telegram HTML with no tag but <b> and no bare `&`: nothing a person typed is markup."""
    without_bold = html.replace("<b>", "").replace("</b>", "")
    return (
        "<" not in without_bold
        and ">" not in without_bold
        and not re.search(r"&(?!(amp|lt|gt);)", html)
    )


async def test_render_card_escapes_what_people_and_caseworkers_typed(services: Services) -> None:
    answers = [("an_old_question", "<yes> & no")]  # from an older version: shown raw
    row = await _new_case(
        services,
        region="<b>Baku</b> & Sumgait",
        flow=("work_permit", 1, answers, "needed"),
    )
    assert await _reply(services, row, "hello", 1000)  # claimed by CASEWORKER
    assert services.staff is not None
    services.staff.remember_name(CASEWORKER, "Ay<sel> & Co")
    current = await services.cases.get(row.id)
    assert current is not None

    text, markup = render_card(services, current, phone="<+994> & 1")

    assert _only_bold_tags_and_entities(text), text
    assert "&lt;b&gt;Baku&lt;/b&gt; &amp; Sumgait" in text
    assert "an_old_question: &lt;yes&gt; &amp; no" in text
    assert "Ay&lt;sel&gt; &amp; Co" in text
    assert "&lt;+994&gt; &amp; 1" in text
    assert text.startswith(f"🗂 <b>Case #{row.id}</b> · In progress")
    buttons = [b for line in markup["inline_keyboard"] for b in line]
    assert buttons and all(str(row.id) in b["callback_data"] for b in buttons)
    assert any("Ay<sel> & Co" in b["text"] for b in buttons)  # labels are plain text


async def test_the_card_of_a_deleted_case_says_so_and_has_no_buttons(services: Services) -> None:
    row = await _new_case(services, region="Ganja")
    assert row.user_id is not None
    await erase_person(services, row.user_id, services.clock.now())
    current = await services.cases.get(row.id)
    assert current is not None
    text, markup = render_card(services, current, phone="+994 50 000 00 02")
    assert "Deleted at the person's request." in text
    assert "+994" not in text and "Ganja" not in text
    assert markup == {"inline_keyboard": []}


async def test_an_audited_relay_writes_its_audit_entry_once_with_the_relay(
    services: Services,
) -> None:
    row = await _new_case(services)
    audited = {"audit_action": "reply", "audit_actor": None}
    assert await _reply(services, row, "hello", 760, **audited)
    assert not await _reply(services, row, "hello", 760, **audited)  # a replay audits nothing
    assert await _audit(services, row.id) == [(None, "reply", None)]
