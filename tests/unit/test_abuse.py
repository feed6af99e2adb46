"""The flood guard counts messages per person per minute and forgives after it."""

from bot.abuse import FloodGuard


def test_flood_guard_counts_per_person_and_window() -> None:
    guard = FloodGuard(3)
    counts = [guard.hit(1, now=100.0 + i) for i in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    assert [guard.over(c) for c in counts] == [False, False, False, True, True]
    assert [guard.first_over(c) for c in counts] == [False, False, False, True, False]
    assert guard.hit(2, now=104.0) == 1  # someone else is not affected
    assert guard.hit(1, now=161.0) == 1  # a new minute starts afresh
