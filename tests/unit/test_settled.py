"""A read of pending rows that began before a row was settled must not bring it back."""

from __future__ import annotations

from bot.delivery.settled import RecentlySettled


def test_an_id_settled_during_a_read_is_not_fresh_for_that_read_or_the_next_stale_one() -> None:
    settled = RecentlySettled()
    first = settled.begin_read()
    settled.settle(7)  # finished while the first read was in flight
    assert not settled.fresh(7)
    settled.end_read(first)
    assert not settled.fresh(7)  # kept: the first read may have returned it
    second = settled.begin_read()  # began after 7 was committed: sees it settled
    settled.end_read(second)
    assert settled.fresh(7) and len(settled) == 0


def test_ids_pile_up_only_between_reads() -> None:
    settled = RecentlySettled()
    for n in range(1000):
        settled.settle(n)
    read = settled.begin_read()
    settled.end_read(read)
    assert len(settled) == 0
