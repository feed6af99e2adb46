"""Strict numbers from people: what int() would crash on or the database would overflow."""

from __future__ import annotations

import pytest

from bot.numbers import BIGINT_MAX, parse_case_id, parse_int, parse_user_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 12 ", 12), ("۱۲", 12), ("١٢", 12), ("0", 0), (str(BIGINT_MAX), BIGINT_MAX)],
)
def test_accepts_decimal_digits_of_any_script(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "²",
        "12²",
        "-1",
        "+1",
        "1 2",
        "1.5",
        "1e3",
        "0x10",
        str(BIGINT_MAX + 1),
        "99999999999999999999",
        "٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠١٢",
        None,
        "１２abc",
    ],
)
def test_refuses_everything_else(text: str | None) -> None:
    assert parse_int(text) is None


def test_case_ids_and_user_ids() -> None:
    assert parse_case_id("#12") == 12 and parse_case_id("12") == 12
    assert (
        parse_case_id("#0") is None and parse_case_id("##12") is None and parse_case_id("²") is None
    )
    assert parse_user_id("200000002") == 200000002 and parse_user_id("0") is None
    assert parse_user_id("-") is None
