"""A person's data on its own (no Telegram, no emulator): /mydata's collection, /delete's erasure
and the staff's notice of it, over a real SQLite file read back the way an auditor would."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.bundle.service import LoadedContent
from bot.cases import lifecycle
from bot.casework.service import (
    CARD,
    THREAD,
    Draft,
    Part,
    add_note,
    change,
    open_case,
    relay_from_person,
    relay_to_person,
    save_rating_comment,
)
from bot.clock import OffsetClock
from bot.config import Settings
from bot.delivery.broadcast import BROADCAST_KEY
from bot.delivery.broadcast import KIND as ANNOUNCEMENT
from bot.privacy.data import anonymise_cases, collect, erase_and_tell_staff, erase_person
from bot.services import Services
from bot.storage.records import FlowSession
from tests.unit.core_services import ForumStaff, core_services

STAFF = -100_777
ADMIN = 11
CASEWORKER = 5_550_001
# Ids and texts that occur nowhere else, so finding one anywhere means it was left behind.
PERSON = 7_301_234_567
OTHER = 7_309_876_543
PLANTED = "Quillwort-Narwhal-5581"
OTHER_PLANTED = "Bramble-Ocelot-2290"
PHONES = {PERSON: "+994 50 555 01 23", OTHER: "+994 55 444 98 76"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "privacy.db"


@pytest_asyncio.fixture
async def services(db_path: Path, real_content: LoadedContent) -> AsyncIterator[Services]:
    clock = OffsetClock()
    # Midday UTC: the day's request count cannot roll over in the middle of a test.
    today = datetime.now(UTC).date()
    clock.offset = datetime.combine(today, time(12), UTC) - datetime.now(UTC)
    settings = Settings(staff_chat_id=STAFF, admin_ids=frozenset({ADMIN}))
    staff = ForumStaff(STAFF, ADMIN, (CASEWORKER,))
    async with core_services(db_path, real_content, settings, clock=clock, staff=staff) as services:
        yield services


@pytest_asyncio.fixture
async def broadcast(services: Services) -> int:
    """A running announcement (everyone subscribed gets it)."""
    broadcasts = services.store.broadcasts
    now = services.clock.now()
    bid = await broadcasts.create_draft(author_id=ADMIN, chat_id=STAFF, thread_id=None, now=now)
    draft = await broadcasts.get(bid)
    assert draft is not None
    assert await broadcasts.start(bid, draft.version, total=2, now=now)
    return bid


@dataclass(frozen=True)
class Stored:
    closed_case: int
    open_case: int


def _draft(user_id: int, text: str, category: str, parts: list[Part]) -> Draft:
    return Draft(
        user_id=user_id,
        language="az",
        audience=None,
        category=category,
        parts=parts,
        region=f"{text} district",
        adults=1,
        children=2,
        vulnerabilities=["medical"],
        phone=PHONES[user_id],
        item_id=None,
        flow=("work_permit", 1, [("permanent", "no")], "needed"),
    )


async def _reply(services: Services, case_id: int, text: str, update_id: int) -> None:
    row = await services.cases.get(case_id)
    assert row is not None
    assert await relay_to_person(
        services,
        row,
        staff_chat_id=STAFF,
        staff_message_id=update_id,
        author_id=CASEWORKER,
        author_name="Aysel",
        text=text,
        caption=None,
        kind="text",
        file_id=None,
        update_id=update_id,
    )


async def _store_everything(
    services: Services, user_id: int, text: str, base: int, bid: int
) -> Stored:
    """Everything the bot keeps about a person: a profile with a language, consent, a vote,
    a questionnaire (open and finished), subscriptions, an announcement being sent, a closed
    case and an open one with messages both ways and a note, and what the outbox holds."""
    now = services.clock.now()
    people, records = services.people, services.records
    await people.touch(user_id, now)
    await people.set_language(user_id, "az")
    await people.give_consent(user_id, "privacy", "2025-01", now)
    assert await records.vote(user_id, "doc.passport", "az", True, now)
    finished = [("permanent", "no"), ("spouse", "no"), ("refugee", "neither")]
    await records.save_flow_result(
        FlowSession(user_id, "work_permit", 1, finished), "needed", "not_eligible", now
    )
    await records.save_flow_session(FlowSession(user_id, "work_permit", 1, [("spouse", "no")]), now)
    await services.store.subscriptions.replace(user_id, ["documents", "work"], "az", now)
    async with services.store.transaction() as uow:  # as the announcement sender feeds it
        assert await uow.broadcasts.add_delivery(bid, user_id)
        await uow.outbox.enqueue(
            chat_id=user_id,
            method="sendMessage",
            params={
                "chat_id": user_id,
                "text": "The office is closed on Friday.",
                BROADCAST_KEY: bid,
            },
            kind=ANNOUNCEMENT,
            now=now,
        )

    closed = await open_case(
        services,
        _draft(user_id, text, "housing", [Part(base + 1, "text", f"no roof, {text}")]),
        base + 1,
    )
    await _reply(services, closed, f"shelter for {text}", base + 2)
    row = await services.cases.get(closed)
    assert row is not None
    assert await change(
        services,
        row,
        lambda r: lifecycle.transition(r, "closed", now),
        actor_id=CASEWORKER,
        action="st",
        detail="closed",
        dedupe=f"u:{base + 3}",
    )

    parts = [
        Part(base + 4, "text", f"I live at {text}"),
        Part(base + 5, "photo", f"my passport, {text}", f"AgAC-{user_id}-passport"),
    ]
    opened = await open_case(services, _draft(user_id, text, "documents", parts), base + 4)
    row = await services.cases.get(opened)
    assert row is not None
    assert await relay_from_person(
        services, row, base + 6, "text", f"and also {text}", None, base + 6
    )
    await _reply(services, opened, f"we will visit {text}", base + 7)
    await add_note(services, row, CASEWORKER, CASEWORKER, f"called {text}", base + 8)
    # Half-way through typing something for the bot (the step survives restarts).
    await people.set_state(user_id, "comment", {"draft": f"about {text}"}, update_id=base + 9)
    return Stored(closed, opened)


@pytest_asyncio.fixture
async def two_people(services: Services, broadcast: int) -> tuple[Stored, Stored]:
    mine = await _store_everything(services, PERSON, PLANTED, 1000, broadcast)
    other = await _store_everything(services, OTHER, OTHER_PLANTED, 2000, broadcast)
    return mine, other


# -- reading the file as an auditor would -------------------------------------------------------


def _tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read from the file by a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {}
        for name in names:
            cur = conn.execute(f"SELECT * FROM {name}")
            columns = [d[0] for d in cur.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cur]
        return out
    finally:
        conn.close()


def _mentions(row: dict[str, Any], ids: set[int], texts: list[str]) -> list[str]:
    found = []
    for column, value in row.items():
        if isinstance(value, int) and value in ids:
            found.append(f"{column} = id")
        elif isinstance(value, str | bytes):
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            for needle in (*texts, *map(str, ids)):
                if needle in text:
                    found.append(f"{column} has {needle!r}")
    return found


def scan_database(path: Path, user_id: int, texts: list[str]) -> list[str]:
    """Every table.column of every row holding the person's id or one of the texts."""
    return [
        f"{table}.{hit}"
        for table, rows in _tables(path).items()
        for row in rows
        for hit in _mentions(row, {user_id}, texts)
    ]


def rows_of(
    tables: dict[str, list[dict[str, Any]]], user_id: int, text: str, cases: set[int]
) -> dict[str, list[str]]:
    """The rows that are about one person: naming them, their texts, or one of their cases."""
    out: dict[str, list[str]] = {}
    for table, rows in tables.items():
        if table == "sqlite_sequence":
            continue
        for row in rows:
            case_id = row.get("id") if table == "cases" else row.get("case_id")
            if _mentions(row, {user_id}, [text]) or case_id in cases:
                out.setdefault(table, []).append(json.dumps(row, sort_keys=True, default=str))
    return {table: sorted(rows) for table, rows in out.items()}


def files_on_disk(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


async def outbox_rows(services: Services, after_id: int = 0) -> list[dict[str, Any]]:
    rows = await services.store.executor.fetchall(
        "SELECT id, dedupe_key, chat_id, method, payload, kind, case_id, status FROM outbox"
        " WHERE id > ? ORDER BY id",
        (after_id,),
    )
    return [{**dict(r), "params": json.loads(r["payload"])} for r in rows]


# -- /mydata ------------------------------------------------------------------------------------


async def test_collect_returns_everything_stored_about_the_person(
    services: Services, two_people: tuple[Stored, Stored], broadcast: int
) -> None:
    mine, _other = two_people
    data = await collect(services, PERSON)

    profile = data["profile"]
    assert profile["user_id"] == PERSON and profile["language"] == "az"
    assert profile["language_chosen"] and profile["phone"] == PHONES[PERSON]
    assert profile["state"] == "comment" and profile["state_data"] == {"draft": f"about {PLANTED}"}
    assert [(c["kind"], c["version"]) for c in data["consents"]] == [("privacy", "2025-01")]

    closed, opened = data["cases"]
    assert (closed["id"], closed["status"]) == (mine.closed_case, "closed")
    assert (opened["id"], opened["status"]) == (mine.open_case, "in_progress")
    assert closed["description"] == f"no roof, {PLANTED}"
    assert opened["description"] == f"I live at {PLANTED}\n\nmy passport, {PLANTED}"
    assert opened["region"] == f"{PLANTED} district"
    assert opened["flow_answers"] == [["permanent", "no"]] and opened["assigned"] is True
    assert [
        (m["direction"], m["text"], m["media_kind"], m["file_id"]) for m in opened["messages"]
    ] == [
        ("in", f"I live at {PLANTED}", None, None),
        ("in", f"my passport, {PLANTED}", "photo", f"AgAC-{PERSON}-passport"),
        ("in", f"and also {PLANTED}", None, None),
        ("out", f"we will visit {PLANTED}", None, None),
        ("note", f"called {PLANTED}", None, None),
    ]
    assert [m["direction"] for m in closed["messages"]] == ["in", "out"]
    assert [h["action"] for h in closed["history"]] == ["st"]
    assert [h["action"] for h in opened["history"]] == ["note"]

    assert data["eligibility_answers"] == [
        {
            "flow_id": "work_permit",
            "flow_version": 1,
            "answers": [["permanent", "no"], ["spouse", "no"], ["refugee", "neither"]],
            "outcome": "needed",
            "result": "not_eligible",
            "created_at": data["eligibility_answers"][0]["created_at"],
        }
    ]
    assert data["open_questionnaire"] == {
        "flow_id": "work_permit",
        "flow_version": 1,
        "answers": [("spouse", "no")],
    }
    assert [(f["item_id"], f["language"], f["helpful"]) for f in data["feedback"]] == [
        ("doc.passport", "az", 1)
    ]
    subscriptions = data["announcement_subscriptions"]
    assert [(s["topic"], s["language"]) for s in subscriptions] == [
        ("documents", "az"),
        ("work", "az"),
    ]
    assert data["announcements_being_sent"] == [{"broadcast_id": broadcast, "status": "queued"}]
    # Two replies, the closing notice and the announcement: all still in the outbox.
    assert data["messages_waiting_to_be_sent_to_you"] == 4
    record = data["abuse_record"]
    assert record == {
        "blocked": False,
        "day": services.clock.now().date().isoformat(),
        "requests_that_day": 2,
    }


async def test_collect_leaves_out_staff_ids_the_abuse_hash_and_other_people(
    services: Services, two_people: tuple[Stored, Stored]
) -> None:
    data = await collect(services, PERSON)
    text = json.dumps(data, ensure_ascii=False, default=str)  # as /mydata sends it
    assert PLANTED in text and str(PERSON) in text
    assert str(CASEWORKER) not in text  # which caseworker did what is the staff's data
    assert services.abuse.subject(PERSON) not in text
    assert OTHER_PLANTED not in text and str(OTHER) not in text and PHONES[OTHER] not in text


async def test_collect_about_someone_unknown_is_empty(services: Services) -> None:
    assert await collect(services, 42) == {
        "profile": None,
        "consents": [],
        "cases": [],
        "eligibility_answers": [],
        "open_questionnaire": None,
        "feedback": [],
        "announcement_subscriptions": [],
        "announcements_being_sent": [],
        "messages_waiting_to_be_sent_to_you": 0,
        "abuse_record": None,
    }


# -- /delete ------------------------------------------------------------------------------------


async def test_erase_person_leaves_nothing_naming_them_in_any_table_or_file(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    mine, _other = two_people
    needles = [PLANTED, PHONES[PERSON]]
    assert len(scan_database(db_path, PERSON, needles)) > 20  # the scan does find them

    erasure = await erase_person(services, PERSON, services.clock.now())

    assert sorted(erasure.cases) == [mine.closed_case, mine.open_case]
    assert erasure.open_cases == [mine.open_case]
    assert scan_database(db_path, PERSON, needles) == []
    # Nor in the file's free pages or the write-ahead log (secure_delete, then a checkpoint).
    for path in files_on_disk(db_path):
        raw = path.read_bytes()
        for needle in (*needles, str(PERSON)):
            assert needle.encode() not in raw, f"{needle} still on disk in {path.name}"
    assert await collect(services, PERSON) == await collect(services, 42) | {
        "abuse_record": await services.abuse.record(PERSON)
    }


async def test_erase_person_keeps_stubs_statistics_and_the_abuse_record(
    services: Services, two_people: tuple[Stored, Stored], broadcast: int
) -> None:
    mine, _other = two_people
    abuse_before = await services.abuse.record(PERSON)
    now = services.clock.now()
    await erase_person(services, PERSON, now)

    opened = await services.cases.get(mine.open_case)
    closed = await services.cases.get(mine.closed_case)
    assert opened is not None and closed is not None
    # The open case becomes a deleted stub; the closed one stays closed. Both lose the texts.
    assert opened.status == "deleted" and opened.record.closed_at == now
    assert closed.status == "closed" and closed.record.closed_at is not None
    for row in (opened, closed):
        assert row.deleted_at == now and row.user_id is None
        assert row.description is None and row.record.region is None and row.flow_answers == []
        assert await services.cases.messages(row.id) == []
    assert (opened.record.category, opened.record.priority, opened.record.team) == (
        "documents",
        0,
        "documents",
    )
    assert (opened.record.adults, opened.record.children) == (1, 2)
    # A block and the day's request count must outlive /delete.
    assert abuse_before is not None and await services.abuse.record(PERSON) == abuse_before
    # The announcement being sent to them counts as skipped; its counts stay.
    b = await services.store.broadcasts.get(broadcast)
    assert b is not None and b.skipped == 1
    assert await services.store.broadcasts.delivery_status(broadcast, PERSON) is None
    entries = await services.store.executor.fetchall(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'person_deleted'"
    )
    assert [(e["actor_id"], e["detail"]) for e in entries] == [(None, "2")]


async def test_erase_person_leaves_other_peoples_rows_whole(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    _mine, other = two_people
    theirs = {other.closed_case, other.open_case}
    before = rows_of(_tables(db_path), OTHER, OTHER_PLANTED, theirs)
    assert set(before) >= {
        "people",
        "consents",
        "feedback",
        "flow_sessions",
        "flow_results",
        "subscriptions",
        "broadcast_deliveries",
        "cases",
        "case_messages",
        "outbox",
        "audit_log",
    }
    await erase_person(services, PERSON, services.clock.now())
    assert rows_of(_tables(db_path), OTHER, OTHER_PLANTED, theirs) == before
    assert (await collect(services, OTHER))["messages_waiting_to_be_sent_to_you"] == 4


async def test_erasing_twice_or_someone_unknown_is_harmless(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    await erase_person(services, PERSON, services.clock.now())
    after_first = _tables(db_path)
    for user_id in (PERSON, 42):
        erasure = await erase_person(services, user_id, services.clock.now())
        assert (erasure.cases, erasure.open_cases) == ([], [])
    after = _tables(db_path)
    # Only the log line of each erasure (with no id, and 0 cases) is new.
    new_log = after["audit_log"][len(after_first["audit_log"]) :]
    assert [(e["actor_id"], e["action"], e["case_id"], e["detail"]) for e in new_log] == [
        (None, "person_deleted", None, "0"),
        (None, "person_deleted", None, "0"),
    ]
    for table in set(after) - {"audit_log", "sqlite_sequence"}:
        assert after[table] == after_first[table], table
    assert after["audit_log"][: len(after_first["audit_log"])] == after_first["audit_log"]


async def test_erase_and_tell_staff_queues_a_notice_and_a_card_update_per_case(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    mine, _other = two_people
    last = max(r["id"] for r in await outbox_rows(services))

    erasure = await erase_and_tell_staff(services, PERSON, services.clock.now())

    new = await outbox_rows(services, last)
    expected = []
    for case_id in sorted(erasure.cases):
        expected += [
            ("sendMessage", "staff_note", case_id, f"case:{case_id}:deleted"),
            ("editMessageText", "card_edit", case_id, f"case:{case_id}:deleted:card"),
        ]
    assert sorted((r["method"], r["kind"], r["case_id"], r["dedupe_key"]) for r in new) == sorted(
        expected
    )
    assert {case_id for _m, _k, case_id, _d in expected} == {mine.closed_case, mine.open_case}
    for r in new:
        assert r["chat_id"] == STAFF and r["status"] == "pending"
        if r["kind"] == "staff_note":
            assert r["params"]["message_thread_id"] == THREAD
            assert "The person asked to delete their data" in r["params"]["text"]
        else:
            assert r["params"]["text"] == CARD and r["params"]["message_id"] == "$card_id"
    # Neither the notices nor anything else left in the file carries the person's data.
    assert scan_database(db_path, PERSON, [PLANTED, PHONES[PERSON]]) == []
    assert not [r for r in await outbox_rows(services) if r["chat_id"] == PERSON]
    # Told once: a second /delete (nothing of theirs is left) queues nothing more.
    assert (await erase_and_tell_staff(services, PERSON, services.clock.now())).cases == []
    assert len(await outbox_rows(services, last)) == len(expected)


async def test_a_rating_comment_waiting_for_the_staff_chat_is_erased_too(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    mine, _other = two_people
    row = await services.cases.get(mine.closed_case)
    assert row is not None
    await save_rating_comment(services, row, f"thank you, {PLANTED}", update_id=1100)
    await erase_person(services, PERSON, services.clock.now())
    assert scan_database(db_path, PERSON, [PLANTED]) == []


async def test_anonymise_cases_erases_the_texts_and_keeps_the_statistics(
    services: Services, db_path: Path, two_people: tuple[Stored, Stored]
) -> None:
    mine, other = two_people
    theirs = {other.closed_case, other.open_case}
    before = rows_of(_tables(db_path), OTHER, OTHER_PLANTED, theirs)
    person_outbox = [r["kind"] for r in await outbox_rows(services) if r["chat_id"] == PERSON]

    await anonymise_cases(services, [mine.closed_case])

    row = await services.cases.get(mine.closed_case)
    assert row is not None and row.user_id is None and row.description is None
    assert row.record.region is None and row.flow_answers == [] and row.deleted_at is None
    assert (row.status, row.record.category, row.record.vulnerabilities) == (
        "closed",
        "housing",
        frozenset({"medical"}),
    )
    assert await services.cases.messages(mine.closed_case) == []
    left = [r for r in await outbox_rows(services) if r["case_id"] == mine.closed_case]
    assert left and all(r["kind"] in ("topic", "card", "card_edit", "team_note") for r in left)
    # The person's other case and profile, and other people, are untouched.
    assert len(await services.cases.messages(mine.open_case)) == 5
    assert (await services.people.get(PERSON)) is not None
    now_outbox = [r["kind"] for r in await outbox_rows(services) if r["chat_id"] == PERSON]
    assert sorted(person_outbox) == sorted([*now_outbox, "to_person", "notice"])
    assert rows_of(_tables(db_path), OTHER, OTHER_PLANTED, theirs) == before
