"""parse_answer: typed numbers, dates and durations, with the codes the UI translates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.flows import InvalidAnswer, parse_answer
from bot.flows.engine import INVALID_CODES, parse_duration_days
from bot.flows.model import DurationRange, Question, Rule

TODAY = date(2026, 11, 1)

AGE = Question("age", "number", min=0, max=120, rules=(Rule((), "x"),))
AMOUNT = Question("amount", "number", min=0.5, max=10, integer=False, rules=(Rule((), "x"),))
ARRIVED = Question("arrived", "date", rules=(Rule((), "x"),))
WHEN = Question(
    "when",
    "duration",
    options=("le6m", "gt6m"),
    ranges=(DurationRange("le6m", 6 * 365.25 / 12, True), DurationRange("gt6m", None)),
)
YEARS = Question(
    "years",
    "duration",
    options=("lt2y", "ge2y"),
    ranges=(DurationRange("lt2y", 2 * 365.25, False), DurationRange("ge2y", None)),
)
CHOICE = Question("how", "choice", options=("readmitted", "forced"))
YES_NO = Question("citizen", "yes_no", options=("yes", "no"))


def _code(question: Question, raw: str) -> str:
    with pytest.raises(InvalidAnswer) as info:
        parse_answer(question, raw, today=TODAY)
    assert info.value.code in INVALID_CODES
    return info.value.code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("45", "45"),
        (" 45 ", "45"),
        ("45 years", "45"),
        ("45 лет", "45"),
        ("0", "0"),
        ("120", "120"),
    ],
)
def test_number_accepted(raw: str, expected: str) -> None:
    assert parse_answer(AGE, raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "not_a_number"),
        ("abc", "not_a_number"),
        ("forty", "not_a_number"),
        ("4.5", "not_a_number"),  # whole numbers only unless integer: false
        ("1 2", "not_a_number"),
        ("5 years 6", "not_a_number"),
        ("5" + " years" * 20, "not_a_number"),  # over the typed-answer limit
        ("-1", "out_of_range"),
        ("121", "out_of_range"),
    ],
)
def test_number_rejected(raw: str, code: str) -> None:
    assert _code(AGE, raw) == code


def test_decimal_number_question_accepts_comma_and_point() -> None:
    assert parse_answer(AMOUNT, "1,5") == "1.5"
    assert parse_answer(AMOUNT, "2.0") == "2"
    assert _code(AMOUNT, "0.4") == "out_of_range"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("5.3.2024", "2024-03-05"),  # day first
        ("05/03/2024", "2024-03-05"),
        ("05-03-2024", "2024-03-05"),
        ("2026-11-01", "2026-11-01"),  # today is not the future
        ("29.02.2024", "2024-02-29"),
    ],
)
def test_date_accepted(raw: str, expected: str) -> None:
    assert parse_answer(ARRIVED, raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2026-11-02", "future_date"),
        ("01.01.2030", "future_date"),
        ("2024-02-30", "bad_date"),
        ("29.02.2023", "bad_date"),
        ("13/13/2020", "bad_date"),
        ("yesterday", "bad_date"),
        ("2024", "bad_date"),
        ("1.1.1800", "bad_date"),
    ],
)
def test_date_rejected(raw: str, code: str) -> None:
    assert _code(ARRIVED, raw) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("le6m", "le6m"),  # a button press
        ("gt6m", "gt6m"),
        ("3 months", "le6m"),
        ("6 months", "le6m"),  # "within 6 months" includes the limit
        ("7 months", "gt6m"),
        ("26 weeks", "le6m"),
        ("27 weeks", "gt6m"),
        ("182 days", "le6m"),
        ("183 days", "gt6m"),
        ("1 year", "gt6m"),
        ("0.5 years", "le6m"),
        ("2 недели", "le6m"),
        ("3 месяца назад", "le6m"),
        ("1 год 2 месяца", "gt6m"),
        ("3 ay əvvəl", "le6m"),
        ("1 il", "gt6m"),
        ("3m", "le6m"),
        ("5 Months Ago", "le6m"),
    ],
)
def test_duration_buckets(raw: str, expected: str) -> None:
    assert parse_answer(WHEN, raw) == expected


def test_duration_exclusive_limit() -> None:
    assert parse_answer(YEARS, "23 months") == "lt2y"
    assert parse_answer(YEARS, "24 months") == "ge2y"  # "below 2 years" excludes 2 years
    assert parse_answer(YEARS, "2 years") == "ge2y"
    assert parse_answer(YEARS, "1 year 11 months") == "lt2y"


@pytest.mark.parametrize(
    "raw", ["", "3", "soon", "3 parsecs", "months", "3 months 7", "a while ago"]
)
def test_duration_rejected(raw: str) -> None:
    assert _code(WHEN, raw) == "bad_duration"


def test_overlong_input_is_rejected_cheaply() -> None:
    assert _code(WHEN, "1 day " * 50) == "bad_duration"
    assert _code(ARRIVED, "1" * 200) == "bad_date"


def test_parse_duration_days_units() -> None:
    assert parse_duration_days("2 weeks") == 14
    assert parse_duration_days("1 year") == parse_duration_days("12 months") == 365.25
    assert parse_duration_days("1 year and 1 day") == 366.25


def test_option_questions_take_only_option_ids() -> None:
    assert parse_answer(CHOICE, "forced") == "forced"
    assert parse_answer(YES_NO, " yes ") == "yes"
    assert _code(CHOICE, "Forced") == "not_an_option"
    assert _code(YES_NO, "maybe") == "not_an_option"


def test_typed_durations_in_persian_and_turkish() -> None:
    from bot.flows.engine import parse_duration_days

    assert parse_duration_days("3 ماه پیش") == parse_duration_days("3 months")
    assert parse_duration_days("۳ ماه") == parse_duration_days("3 months")
    assert parse_duration_days("2 hafta önce") == 14.0
    assert parse_duration_days("1 yıl") == parse_duration_days("1 year")
