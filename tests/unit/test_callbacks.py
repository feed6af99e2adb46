"""The callback-data codec: every kind round-trips, old payloads still parse, bad ones don't."""

from __future__ import annotations

import pytest

from bot import callbacks as cb

EXAMPLES: list[tuple[cb.CallbackData, str]] = [
    (cb.Menu(), "m:"),
    (cb.Menu("documents"), "m:documents"),
    (cb.Item("doc.passport"), "f:doc.passport"),
    (cb.Item("doc.passport", 2), "f:doc.passport:2"),
    (cb.Feedback("doc.passport", 0), "h:doc.passport:0"),
    (cb.Emergency(), "e:"),
    (cb.Language("az", cb.Language.FIRST), "l:az:s"),
    (cb.Language("?"), "l:?"),
    (cb.Audience("-"), "a:-"),
    (cb.FlowStart("demo"), "g:demo"),
    (cb.FlowAnswer("demo", 2, "since", "le3y"), "q:demo:2:since:le3y"),
    (cb.FlowBack("demo", 2), "qb:demo:2"),
    (cb.FlowExit(), "qx:"),
    (cb.Requests("new"), "r:new"),
    (cb.Requests("new", "doc.passport"), "r:new:doc.passport"),
    (cb.Requests("rate", "12", "5"), "r:rate:12:5"),
    (cb.Intake("x"), "i:x"),
    (cb.Intake("v", "done"), "i:v:done"),
    (cb.Privacy("del", "ok"), "p:del:ok"),
    (cb.Card(12), "c:12"),
    (cb.Card(12, "as", "-"), "c:12:as:-"),
    (cb.Noop(), "nop:"),
    (cb.Subscriptions(), "n:"),
    (cb.Subscriptions("s", "documents,work"), "n:s:documents,work"),
    (cb.Subscriptions("stop"), "n:stop"),
    (cb.Announce("t", 12, 3, "work"), "an:t:12:3:work"),
    (cb.Announce("go", 12, 3), "an:go:12:3"),
]


@pytest.mark.parametrize(("payload", "data"), EXAMPLES, ids=[d for _p, d in EXAMPLES])
def test_packs_to_the_strings_people_already_have_and_back(
    payload: cb.CallbackData, data: str
) -> None:
    assert payload.pack() == data
    assert type(payload).unpack(data) == payload
    assert cb.parse(data) == payload


def test_every_kind_has_its_own_prefix_and_an_example() -> None:
    kinds = {type(p) for p, _d in EXAMPLES}
    assert set(cb.CallbackData._registry.values()) == kinds
    assert cb.FlowAnswer.unpack("qb:demo:2") is None  # "q" is not a prefix of "qb:"
    assert cb.FlowBack.matches()("qb:demo:2") and not cb.FlowAnswer.matches()("qb:demo:2")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "m",
        "zz:1",
        "c:x:claim",
        "c:",
        "q:demo:two:since:yes",
        "q:demo:2:since",
        "h:a:1:extra",
        "f:" + "a" * 70,
        None,
    ],
)
def test_malformed_or_forged_data_parses_to_nothing(data: str | None) -> None:
    assert cb.parse(data) is None


def test_the_limit_is_in_bytes_not_characters() -> None:
    cyrillic = "д" * 31  # 62 bytes, 31 characters
    assert cb.size(cb.Item(cyrillic).text()) == 64
    assert cb.Item(cyrillic).pack()
    with pytest.raises(cb.CallbackTooLong):
        cb.Item(cyrillic + "д").pack()
    assert cb.Item.unpack("f:" + "д" * 32) is None


def test_a_separator_inside_a_field_is_refused() -> None:
    with pytest.raises(ValueError):
        cb.Item("doc:passport").pack()
