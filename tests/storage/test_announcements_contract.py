"""The announcement repositories' contract, over SQLite and PostgreSQL: subscriptions and the
audience, drafts with stale-button versions, one running broadcast, the feed cursor, delivery
records that make a second send impossible, and erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage import Store
from tests.storage.test_contract import store  # noqa: F401  (the two-backend fixture)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _people(store: Store, *ids: int) -> None:  # noqa: F811
    for user_id in ids:
        await store.people.touch(user_id, NOW)


async def test_subscriptions_replace_list_and_select_the_audience(store: Store) -> None:  # noqa: F811
    await _people(store, 11, 12, 13, 14)
    subs = store.subscriptions
    await subs.replace(11, ["documents", "work"], "en", NOW)
    await subs.replace(12, ["*"], "ru", NOW)
    await subs.replace(13, ["events"], "en", NOW)
    await subs.replace(14, ["documents"], "az", NOW)
    await subs.replace(11, ["work", "documents", "work"], "en", NOW)  # same set: nothing changes
    assert await subs.topics_of(11) == ["documents", "work"]
    assert await subs.count_audience(["documents"], None) == 3  # 11, 12 (all), 14
    assert await subs.count_audience(["documents"], "en") == 1
    assert await subs.count_audience(["*"], None) == 4
    assert await subs.count_audience(["events", "work"], "en") == 2
    # A chosen language wins over the one they subscribed in.
    await store.people.set_language(14, "en")
    assert await subs.count_audience(["documents"], "en") == 2
    # Blocked the bot: left out, and counted as such.
    await store.people.mark_unreachable(13)
    assert await subs.count_audience(["events"], None) == 1
    assert await subs.count_unreachable(["events"]) == 1
    # Paging by subscription row, never by user id; each person at most once per page set.
    seen: list[int] = []
    cursor = 0
    while True:
        page, cursor = await subs.audience_after(cursor, ["*"], None, 2)
        if not page:
            break
        seen += [r.user_id for r in page]
    assert sorted(set(seen)) == [11, 12, 14]
    assert await subs.remove_all(11) == 2
    assert await subs.topics_of(11) == []


async def test_a_draft_moves_on_only_at_its_version_and_one_broadcast_runs(store: Store) -> None:  # noqa: F811
    repo = store.broadcasts
    first = await repo.create_draft(author_id=5, chat_id=-100, thread_id=None, now=NOW)
    draft = await repo.get(first)
    assert (
        draft is not None
        and draft.status == "draft"
        and draft.step == "text"
        and draft.topics == ("*",)
    )
    assert (await repo.awaiting_text(5, -100)) == draft
    assert await repo.update_draft(
        first, draft.version, text="<b>Hi</b>", step="audience", topics=("work",)
    )
    assert not await repo.update_draft(first, draft.version, text="stale")  # an old button
    moved = await repo.get(first)
    assert moved is not None and moved.text == "<b>Hi</b>" and moved.topics == ("work",)
    assert await repo.awaiting_text(5, -100) is None
    # A second /announce by the same admin replaces the draft.
    second = await repo.create_draft(author_id=5, chat_id=-100, thread_id=7, now=NOW)
    assert await repo.get(first) is None
    d2 = await repo.get(second)
    assert d2 is not None
    assert not await repo.start(second, d2.version + 1, 10, NOW)  # stale confirm
    assert await repo.start(second, d2.version, 10, NOW)
    other = await repo.create_draft(author_id=6, chat_id=-100, thread_id=None, now=NOW)
    d3 = await repo.get(other)
    assert d3 is not None and not await repo.start(other, d3.version, 1, NOW)  # one at a time
    running = await repo.running()
    assert running is not None and running.id == second and running.total == 10


async def test_deliveries_never_twice_and_a_cut_off_send_is_uncertain(store: Store) -> None:  # noqa: F811
    await _people(store, 21, 22, 23)
    repo = store.broadcasts
    bid = await repo.create_draft(author_id=5, chat_id=-100, thread_id=None, now=NOW)
    b = await repo.get(bid)
    assert b is not None and await repo.start(bid, b.version, 3, NOW)
    async with store.transaction() as uow:
        locked = await uow.broadcasts.lock(bid)
        assert locked is not None
        assert await uow.broadcasts.add_delivery(bid, 21)
        assert await uow.broadcasts.add_delivery(bid, 22)
        assert await uow.broadcasts.add_delivery(bid, 23)
        assert not await uow.broadcasts.add_delivery(bid, 21)
        await uow.broadcasts.advance(bid, 99, 3, True)
    assert await repo.claim(bid, 21) == "queued"
    assert await repo.finish_delivery(bid, 21, "sent")
    assert not await repo.finish_delivery(bid, 21, "sent")  # counted once
    assert await repo.claim(bid, 21) == "sent"  # a replayed outbox row: not sent again
    assert await repo.claim(bid, 22) == "queued"
    # The process died mid-call: after the restart the same row comes round again.
    assert await repo.claim(bid, 22) == "sending"
    assert await repo.delivery_status(bid, 22) == "uncertain"
    # Erasure while queued: the record goes and counts as skipped.
    async with store.transaction():
        pass
    await store.privacy.erase_person(23, NOW)
    assert await repo.claim(bid, 23) is None
    b = await repo.get(bid)
    assert b is not None
    assert (b.cursor, b.queued, b.sent, b.uncertain, b.skipped, b.outstanding) == (
        99,
        3,
        1,
        1,
        1,
        0,
    )
    assert await repo.close(bid, NOW)
    assert not await repo.close(bid, NOW)
    done = await repo.get(bid)
    assert done is not None and done.status == "done" and done.finished_at == NOW
    assert await repo.deliveries_of(21) == []  # who got it is not kept afterwards


async def test_erasure_takes_subscriptions_and_cancel_stops_a_broadcast(store: Store) -> None:  # noqa: F811
    await _people(store, 31)
    await store.subscriptions.replace(31, ["documents"], "en", NOW)
    await store.privacy.erase_person(31, NOW)
    assert await store.subscriptions.topics_of(31) == []
    row = await store.executor.fetchone(
        "SELECT COUNT(*) AS n FROM subscriptions WHERE user_id = 31"
    )
    assert row is not None and int(row["n"]) == 0
    bid = await store.broadcasts.create_draft(
        author_id=None, chat_id=-100, thread_id=None, now=NOW, announcement_id="reg.reminder"
    )
    b = await store.broadcasts.get(bid)
    assert b is not None and await store.broadcasts.start(bid, b.version, 0, NOW)
    assert await store.broadcasts.cancel(bid)
    assert [x.id for x in await store.broadcasts.unfinished_cancelled()] == [bid]
    assert await store.broadcasts.close(bid, NOW)
    closed = await store.broadcasts.get(bid)
    assert closed is not None and closed.status == "cancelled"
    assert (await store.broadcasts.last_sent("reg.reminder")) is None
