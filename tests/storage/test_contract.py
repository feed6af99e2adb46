"""One contract for every storage backend (as aiogram tests its storages): the same tests
run against SQLite and PostgreSQL, through the repositories and units of work the bot uses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cases import lifecycle
from bot.storage import StorageError, Store, open_store, storage_fault
from bot.storage.inbox import InboxRow
from bot.storage.records import FlowSession
from tests.postgres_fixtures import fresh_database

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            target: Path | str = tmp_path / "contract.db"
        else:
            # At the schema already (a copy of a template migrated once per run), except for
            # the test of the migrations themselves, which gets an empty database.
            blank = request.node.get_closest_marker("blank_database") is not None
            target = await stack.enter_async_context(fresh_database(migrated=not blank))
        opened = await open_store(target, abuse_key="k" * 32)
        stack.push_async_callback(opened.close)
        yield opened


async def _case(store: Store, user_id: int = 7, update_id: int | None = 1) -> int:
    async with store.transaction() as uow:
        case_id = await uow.cases.create(
            user_id=user_id,
            source_update_id=update_id,
            category="documents",
            language="en",
            audience=None,
            region="Baku",
            adults=2,
            children=1,
            vulnerabilities=["medical"],
            description="lost passport",
            priority=1,
            team="general",
            staff_chat_id=-100,
            flow=None,
            now=NOW,
        )
    assert case_id is not None
    return case_id


# -- schema ----------------------------------------------------------------------------------


@pytest.mark.blank_database
async def test_migrations_apply_once_and_record_their_version(store: Store) -> None:
    version = await store.driver.schema_version()
    assert version >= 1
    rows = await store.executor.fetchall("SELECT version FROM schema_version ORDER BY version")
    assert [int(r["version"]) for r in rows] == list(range(1, version + 1))


# -- inbox -----------------------------------------------------------------------------------


async def test_the_same_update_id_is_stored_and_handled_once(store: Store) -> None:
    inbox = store.inbox
    first = await inbox.add([InboxRow(10, "c1", "{}"), InboxRow(11, "c1", "{}")], NOW)
    again = await inbox.add([InboxRow(11, "c1", "{}"), InboxRow(12, "c2", "{}")], NOW)
    assert [r.update_id for r in first] == [10, 11]
    assert [r.update_id for r in again] == [12]  # 11 was a replay
    assert await inbox.next_offset() == 13
    await inbox.mark_done(10, NOW)
    assert [r.update_id for r in await inbox.unfinished()] == [11, 12]
    row = await store.executor.fetchone("SELECT payload, lane FROM inbox WHERE update_id = 10")
    assert row is not None and row["payload"] is None and row["lane"] == ""  # the text and chat go
    await asyncio.gather(inbox.mark_done(11, NOW), inbox.mark_done(12, NOW))  # one group commit
    assert await inbox.counts() == {"done": 3}
    assert await inbox.prune(NOW + timedelta(days=3)) == 3
    assert await inbox.add([InboxRow(12, "c2", "{}")], NOW) == []  # pruned, still refused
    assert await inbox.next_offset() == 13


async def test_inbox_failures_keep_no_text_and_lag_is_measured(store: Store) -> None:
    await store.inbox.add([InboxRow(1, "c5", '{"text": "private"}'), InboxRow(2, "c5", "{}")], NOW)
    await store.inbox.mark_failed(1, "KeyError at handlers/x.py:1", NOW)
    assert await store.inbox.status(1) == "failed"
    pending, oldest = await store.inbox.pending_lag(NOW + timedelta(seconds=30))
    assert pending == 1 and 29 <= oldest <= 31
    row = await store.executor.fetchone("SELECT payload FROM inbox WHERE update_id = 1")
    assert row is not None and row["payload"] is None


# -- outbox ----------------------------------------------------------------------------------


async def test_outbox_keeps_order_per_chat_dedupes_and_forgets_when_sent(store: Store) -> None:
    async with store.transaction() as uow:
        for n in range(3):
            await uow.outbox.enqueue(
                chat_id=1, method="sendMessage", params={"n": n}, now=NOW, dedupe_key=f"a{n}"
            )
        await uow.outbox.enqueue(
            chat_id=2, method="sendMessage", params={"n": 9}, now=NOW, dedupe_key="b"
        )
        assert (
            await uow.outbox.enqueue(
                chat_id=2, method="sendMessage", params={}, now=NOW, dedupe_key="b"
            )
            is None
        )
    repo = store.outbox
    later = datetime.now(UTC) + timedelta(seconds=1)
    due = await repo.due(later)
    assert [(i.chat_id, i.params["n"]) for i in due] == [(1, 0), (2, 9)]  # only each chat's first
    await repo.mark_sent(due[0].id, 5, NOW)
    due = await repo.due(later)
    assert [(i.chat_id, i.params["n"]) for i in due] == [(1, 1), (2, 9)]
    await repo.mark_chat_unreachable(1, "Forbidden")
    assert [i.chat_id for i in await repo.due(later)] == [2]
    finished = await store.executor.fetchall(
        "SELECT chat_id, payload FROM outbox WHERE status != 'pending'"
    )
    assert finished and all(r["chat_id"] == 0 and r["payload"] == "{}" for r in finished)
    assert await repo.prune(NOW + timedelta(days=3)) == len(finished)


async def test_a_moot_outbox_item_is_skipped_not_failed(store: Store) -> None:
    async with store.transaction() as uow:
        item_id = await uow.outbox.enqueue(
            chat_id=5, method="createForumTopic", params={"name": "x"}, now=NOW
        )
    assert item_id is not None
    await store.outbox.mark_skipped(item_id, "moot when due", NOW)
    row = await store.executor.fetchone(
        "SELECT status, payload, error FROM outbox WHERE id = ?", (item_id,)
    )
    assert row is not None and (row["status"], row["payload"], row["error"]) == (
        "skipped",
        "{}",
        "moot when due",
    )
    assert await store.outbox.due(datetime.now(UTC) + timedelta(seconds=1)) == []


async def test_a_unit_of_work_commits_together_or_not_at_all(store: Store) -> None:
    case_id = await _case(store)
    with pytest.raises(RuntimeError):
        async with store.transaction() as uow:
            await uow.cases.update(case_id, NOW, status="in_progress")
            await uow.outbox.enqueue(
                chat_id=7, method="sendMessage", params={}, now=NOW, dedupe_key="x"
            )
            raise RuntimeError("the handler failed half-way")
    row = await store.cases.get(case_id)
    assert row is not None and row.status == "new"
    assert await store.outbox.counts() == {}


# -- people, records, abuse, meta --------------------------------------------------------------


async def test_people_state_consents_and_replay_marks(store: Store) -> None:
    person = await store.people.touch(5, NOW)
    assert person.is_new and person.state is None
    again = await store.people.touch(5, NOW + timedelta(minutes=1))
    assert not again.is_new
    await store.people.set_state(
        5, "intake", {"step": "describe", "parts": ["ж" * 10]}, update_id=40
    )
    await store.people.set_state(5, "intake", {"step": "phone"}, update_id=30)  # older: kept at 40
    got = await store.people.get(5)
    assert got is not None and got.state_data == {"step": "phone"} and got.last_update_id == 40
    await store.people.set_language(5, "fa")
    await store.people.give_consent(5, "request", "1", NOW)
    await store.people.give_consent(5, "request", "2", NOW)
    assert [c["version"] for c in await store.people.consents(5)] == ["2"]
    await store.people.mark_unreachable(5)
    await store.people.touch(5, NOW + timedelta(hours=1))  # writing again: reachable
    got = await store.people.get(5)
    assert got is not None and not got.unreachable and got.language == "fa"


async def test_records_votes_flows_and_audit(store: Store) -> None:
    assert await store.records.vote(5, "doc.passport", "en", True, NOW)
    assert not await store.records.vote(5, "doc.passport", "en", False, NOW)  # once per item
    assert await store.records.feedback_counts() == [("doc.passport", 1, 0)]
    session = FlowSession(5, "work_permit", 2, [("q1", "yes")])
    await store.records.save_flow_session(session, NOW)
    assert await store.records.flow_session(5) == session
    result_id = await store.records.save_flow_result(session, "needs_permit", "not_eligible", NOW)
    assert result_id > 0
    latest = await store.records.latest_flow_result(5, "work_permit")
    assert latest is not None and latest["outcome"] == "needs_permit"
    await store.records.audit(9, "claim", 1, NOW)
    assert [e.action for e in await store.records.audit_for(1)] == ["claim"]


async def test_abuse_record_is_keyed_and_counts_a_day(store: Store) -> None:
    abuse = store.abuse
    assert "200000005" not in abuse.subject(200000005) and abuse.subject(5) != abuse.subject(6)
    await abuse.set_blocked(5, True)
    assert await abuse.is_blocked(5) and not await abuse.is_blocked(6)
    async with store.transaction() as uow:
        await uow.abuse.count_request(6, NOW.date())
        await uow.abuse.count_request(6, NOW.date())
    assert await abuse.requests_on(6, NOW.date()) == 2
    async with store.transaction() as uow:
        await uow.abuse.count_request(6, (NOW + timedelta(days=1)).date())
    assert await abuse.requests_on(6, (NOW + timedelta(days=1)).date()) == 1
    assert await abuse.prune((NOW + timedelta(days=5)).date()) == 1  # 6's record holds nothing now
    assert await abuse.is_blocked(5)


async def test_meta_latch_prefix_and_counter(store: Store) -> None:
    meta = store.meta
    assert await meta.put_once("reply_preview:1:2", "greeting")
    assert not await meta.put_once("reply_preview:1:2", "greeting")  # a double tap loses
    await meta.put("team_topic:-1:a", "5")
    await meta.put("team_topic:-1:a", "6")
    assert await meta.get("team_topic:-1:a") == "6"
    assert await meta.forget_prefix("team_topic:-1:") == 1
    assert await meta.bump("content_generation") == 1
    assert await meta.bump("content_generation") == 2


# -- cases -----------------------------------------------------------------------------------


async def test_cases_are_created_once_per_update_and_found(store: Store) -> None:
    case_id = await _case(store, update_id=77)
    async with store.transaction() as uow:
        assert (
            await uow.cases.create(
                user_id=7,
                source_update_id=77,
                category="documents",
                language="en",
                audience=None,
                region=None,
                adults=None,
                children=None,
                vulnerabilities=[],
                description=None,
                priority=1,
                team="general",
                staff_chat_id=None,
                flow=None,
                now=NOW,
            )
            is None
        )  # the replay of that update opens nothing
        assert await uow.cases.add_message(
            case_id=case_id,
            direction="in",
            author_id=None,
            text="Lost PASSPORT in Baku 100%",
            media_kind=None,
            file_id=None,
            update_id=500,
            now=NOW,
        )
        assert not await uow.cases.add_message(
            case_id=case_id,
            direction="in",
            author_id=None,
            text="again",
            media_kind=None,
            file_id=None,
            update_id=500,
            now=NOW,
        )
    assert [r.id for r in await store.cases.find("passport")] == [case_id]  # any case, any backend
    assert [r.id for r in await store.cases.find("100%")] == [case_id]
    assert await store.cases.find("50%") == []
    assert [r.id for r in await store.cases.find(f"#{case_id}")] == [case_id]
    open_case = await store.cases.open_case_of(7)
    assert open_case is not None and open_case.id == case_id
    await store.cases.map_staff_message(-100, 42, case_id)
    mapped = await store.cases.by_staff_message(-100, 42)
    assert mapped is not None and mapped.id == case_id
    assert [r.id for r in await store.cases.queue(10)] == [case_id]
    assert await store.cases.count_open() == 1 and await store.cases.count_unclaimed() == 1
    records = [r async for r in store.cases.iter_records_fast(batch=1)]
    assert [r.id for r in records] == [case_id] and records[0].vulnerabilities == frozenset(
        {"medical"}
    )


async def test_a_change_inside_a_unit_of_work_sees_the_case_as_it_is(store: Store) -> None:
    case_id = await _case(store)
    async with store.transaction() as uow:
        current = await uow.cases.current(case_id)
        assert current is not None
        await uow.cases.save(lifecycle.claim(current.record, 9, NOW), NOW)
    row = await store.cases.get(case_id)
    assert row is not None and row.record.assignee_id == 9 and row.status == "in_progress"


async def test_concurrent_units_of_work_do_not_lose_each_others_changes(store: Store) -> None:
    case_id = await _case(store)

    async def toggle(service: str) -> None:
        async with store.transaction() as uow:
            current = await uow.cases.current(case_id)
            assert current is not None
            await asyncio.sleep(0.05)  # the other writer runs meanwhile
            await uow.cases.save(lifecycle.toggle_service(current.record, service), NOW)

    await asyncio.gather(toggle("employment"), toggle("medical"), toggle("documents"))
    row = await store.cases.get(case_id)
    assert row is not None and row.record.services == frozenset(
        {"employment", "medical", "documents"}
    )


# -- privacy ---------------------------------------------------------------------------------


async def test_erasing_a_person_leaves_no_id_or_text(store: Store) -> None:
    await store.people.touch(7, NOW)
    case_id = await _case(store)
    async with store.transaction() as uow:
        await uow.cases.add_message(
            case_id=case_id,
            direction="in",
            author_id=None,
            text="Secret-9",
            media_kind=None,
            file_id=None,
            update_id=9,
            now=NOW,
        )
        await uow.outbox.enqueue(
            chat_id=7,
            method="sendMessage",
            params={"text": "Secret-9"},
            now=NOW,
            kind="to_person",
            case_id=case_id,
        )
        await uow.records.audit(7, "closed_by_person", case_id, NOW)
    await store.records.vote(7, "doc.x", "en", True, NOW)
    collected = await store.privacy.cases(7)
    assert collected[0]["messages"][0]["text"] == "Secret-9"
    erasure = await store.privacy.erase_person(7, NOW)
    assert erasure.cases == [case_id] and erasure.open_cases == [case_id]
    for table in ("people", "case_messages", "outbox", "feedback", "audit_log", "cases"):
        for row in await store.executor.fetchall(f"SELECT * FROM {table}"):
            values = [row[k] for k in row.keys()]
            assert 7 not in values and not any("Secret-9" in str(v) for v in values), (
                table,
                values,
            )
    case = await store.cases.get(case_id)
    assert case is not None and case.status == "deleted" and case.user_id is None


async def test_retention_queries(store: Store) -> None:
    await store.people.touch(8, NOW - timedelta(days=400))
    case_id = await _case(store, user_id=8)
    await store.cases.update(
        case_id, NOW - timedelta(days=200), status="closed", closed_at=NOW - timedelta(days=200)
    )
    assert await store.privacy.ended_before(NOW - timedelta(days=180)) == [case_id]
    assert await store.privacy.inactive_since(NOW - timedelta(days=365)) == [8]
    await store.privacy.anonymise_cases([case_id])
    assert await store.privacy.ended_before(NOW - timedelta(days=180)) == []


# -- several instances -----------------------------------------------------------------------


async def test_a_lane_belongs_to_one_owner_until_its_lease_runs_out(store: Store) -> None:
    await store.inbox.add(
        [InboxRow(1, "c1", "{}"), InboxRow(2, "c1", "{}"), InboxRow(3, "c2", "{}")], NOW
    )
    t = 1000.0
    mine = await store.leases.claim_lanes("a", t, lease=30)
    assert sorted(mine) == ["c1", "c2"]
    assert await store.leases.claim_lanes("b", t + 1, lease=30) == []  # taken
    assert [r.update_id for r in await store.leases.pending_in(["c1"])] == [1, 2]
    await store.leases.release("a", ["c2"])
    assert await store.leases.claim_lanes("b", t + 2, lease=30) == ["c2"]
    assert await store.leases.claim_lanes("b", t + 40, lease=30) == ["c1", "c2"]  # a's expired
    assert await store.leases.renew("a", ["c1"], t + 100) == 0  # a lost it


async def test_a_job_runs_once_per_schedule_across_instances(store: Store) -> None:
    results = await asyncio.gather(*(store.leases.take_job("sla", 1000.0, 60) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]
    assert not await store.leases.take_job("sla", 1030.0, 60)
    assert await store.leases.take_job("sla", 1061.0, 60)


async def test_an_advisory_lock_has_one_holder(store: Store) -> None:
    async with store.driver.advisory_lock("outbox") as first:
        async with store.driver.advisory_lock("outbox") as second:
            assert first and not second
    async with store.driver.advisory_lock("outbox") as again:
        assert again


# -- errors ----------------------------------------------------------------------------------


async def test_a_wrong_statement_is_not_a_storage_fault(store: Store) -> None:
    with pytest.raises(StorageError) as caught:
        await store.executor.fetchall("SELECT no_such_column FROM inbox")
    assert storage_fault(caught.value) is None


async def test_an_unreachable_postgres_is_a_transient_fault() -> None:
    with pytest.raises(StorageError) as caught:
        await open_store("postgresql://nobody@127.0.0.1:1/none")
    assert storage_fault(caught.value) == "transient"
    assert "127.0.0.1:1" in str(caught.value)
