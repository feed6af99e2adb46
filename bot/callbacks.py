"""Every kind of button payload (`callback_data`), encoded and parsed in one place.

A payload is `<prefix>:<field>:<field>…` with short ids, never translated text, so a button
keeps working after a restart or a content reload. Each kind is a frozen dataclass (as
aiogram's `CallbackData`): `Item("doc.passport").pack() == "f:doc.passport"` and
`Item.unpack("f:doc.passport:2") == Item("doc.passport", 2)`. Trailing fields left at their
default are not written, so the strings stay what people already have in their chats.
Telegram caps a payload at 64 bytes (not characters); `pack` refuses anything longer.

Callback data is client-supplied: `unpack` returns None for anything malformed, and handlers
still check that what a payload names exists and belongs to whoever pressed it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, get_type_hints

LIMIT = 64  # bytes: Telegram's limit on callback_data
SEP = ":"
_INT = re.compile(r"^-?\d{1,19}$")

C = TypeVar("C", bound="CallbackData")


class CallbackTooLong(ValueError):
    """A payload over Telegram's 64 bytes (content ids too long for their buttons)."""


def size(data: str) -> int:
    """A payload's length as Telegram measures it (UTF-8 bytes)."""
    return len(data.encode())


def fits(data: str) -> bool:
    return size(data) <= LIMIT


class CallbackData:
    """Base of every payload kind; subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]
    _registry: ClassVar[dict[str, type[CallbackData]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix = cls.__dict__.get("prefix")
        if prefix is None:
            return
        if SEP in prefix or prefix in CallbackData._registry:
            raise TypeError(f"callback prefix {prefix!r} is invalid or taken")
        CallbackData._registry[prefix] = cls

    def pack(self) -> str:
        """The payload string; CallbackTooLong if Telegram would refuse it."""
        data = self.text()
        if not fits(data):
            raise CallbackTooLong(f"callback data over {LIMIT} bytes: {data!r}")
        return data

    def text(self) -> str:
        """The payload string, whatever its size (content checks measure it with `size`)."""
        fields, _hints, defaults = _schema(type(self))
        values: list[str] = []
        for field in fields:
            value = getattr(self, field.name)
            text = "" if value is None else str(value)
            if SEP in text:
                raise ValueError(f"{type(self).__name__}.{field.name} may not contain {SEP!r}")
            values.append(text)
        # Trailing defaults are omitted ("m:" not "m::"), as payloads were written before.
        while values:
            default = defaults[len(values) - 1]
            if default is None or values[-1] != default:
                break
            values.pop()
        return self.prefix + SEP + SEP.join(values)

    @classmethod
    def unpack(cls: type[C], data: str | None) -> C | None:
        """The payload as this kind, or None if it is another kind or malformed."""
        if not data or not data.startswith(cls.prefix + SEP) or not fits(data):
            return None
        rest = data[len(cls.prefix) + 1 :]
        parts = rest.split(SEP) if rest else []
        fields, hints, defaults = _schema(cls)
        if len(parts) > len(fields):
            return None
        kwargs: dict[str, Any] = {}
        for i, field in enumerate(fields):
            if i >= len(parts):
                if defaults[i] is None:
                    return None
                continue
            value = _convert(parts[i], hints[field.name])
            if value is _INVALID:
                return None
            kwargs[field.name] = value
        return cls(**kwargs)

    @classmethod
    def matches(cls) -> Callable[[object], bool]:
        """A predicate for PTB's `CallbackQueryHandler(pattern=...)`: data of this kind."""
        start = cls.prefix + SEP

        def match(data: object) -> bool:
            return isinstance(data, str) and data.startswith(start)

        return match


def parse(data: str | None) -> CallbackData | None:
    """Any payload, as whichever kind its prefix names (None if unknown or malformed)."""
    if not data:
        return None
    kind = CallbackData._registry.get(data.partition(SEP)[0])
    return kind.unpack(data) if kind is not None else None


_INVALID = object()


_Schema = tuple[tuple[dataclasses.Field[Any], ...], dict[str, Any], tuple[str | None, ...]]
_schemas: dict[type[CallbackData], _Schema] = {}


def _schema(cls: type[CallbackData]) -> _Schema:
    """A kind's fields, their type hints and each default as payload text (None: required).

    Worked out once per kind: `get_type_hints` evaluates annotations and cost ~0.2 ms a call,
    once per button press and per button drawn."""
    known = _schemas.get(cls)
    if known is not None:
        return known
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    defaults = tuple(
        None
        if (default := _default(field)) is dataclasses.MISSING
        else ("" if default is None else str(default))
        for field in fields
    )
    _schemas[cls] = schema = (fields, get_type_hints(cls), defaults)
    return schema


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    return dataclasses.MISSING


def _convert(text: str, hint: Any) -> Any:
    optional = hint in (int | None, str | None)
    if optional and text == "":
        return None
    if hint in (int, int | None):
        return int(text) if _INT.match(text) else _INVALID
    return text


# --------------------------------------------------------------------- the person's side


@dataclasses.dataclass(frozen=True)
class Menu(CallbackData):
    """`m:` the main menu; `m:<topic>` a topic (or `emergency`, `eligibility`)."""

    prefix: ClassVar[str] = "m"
    topic: str = ""


@dataclasses.dataclass(frozen=True)
class Item(CallbackData):
    """`f:<item>[:<page>]` one page of an answer."""

    prefix: ClassVar[str] = "f"
    item: str
    page: int | None = None


@dataclasses.dataclass(frozen=True)
class Feedback(CallbackData):
    """`h:<item>:1|0` helpful or not."""

    prefix: ClassVar[str] = "h"
    item: str
    helpful: int


@dataclasses.dataclass(frozen=True)
class Emergency(CallbackData):
    """`e:` every help line."""

    prefix: ClassVar[str] = "e"


@dataclasses.dataclass(frozen=True)
class Language(CallbackData):
    """`l:<code>[:s]`; `s` when chosen at the very start (then the audience is asked)."""

    prefix: ClassVar[str] = "l"
    code: str
    start: str = ""

    FIRST: ClassVar[str] = "s"


@dataclasses.dataclass(frozen=True)
class Audience(CallbackData):
    """`a:<audience>` (or `a:-`: rather not say)."""

    prefix: ClassVar[str] = "a"
    audience: str


@dataclasses.dataclass(frozen=True)
class FlowStart(CallbackData):
    """`g:<flow>` starts a questionnaire at its current version."""

    prefix: ClassVar[str] = "g"
    flow: str


@dataclasses.dataclass(frozen=True)
class FlowAnswer(CallbackData):
    """`q:<flow>:<version>:<question>:<answer>`; the version makes old buttons detectable."""

    prefix: ClassVar[str] = "q"
    flow: str
    version: int
    question: str
    answer: str


@dataclasses.dataclass(frozen=True)
class FlowBack(CallbackData):
    """`qb:<flow>:<version>` one question back."""

    prefix: ClassVar[str] = "qb"
    flow: str
    version: int


@dataclasses.dataclass(frozen=True)
class FlowExit(CallbackData):
    """`qx:` leave the questionnaire for the main menu."""

    prefix: ClassVar[str] = "qx"


@dataclasses.dataclass(frozen=True)
class Requests(CallbackData):
    """`r:new[:item]` · `r:flow[:flow]` · `r:list` · `r:reopen|add|close|closeok:<case>` ·
    `r:rate:<case>:<n>`."""

    prefix: ClassVar[str] = "r"
    action: str
    target: str = ""
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Intake(CallbackData):
    """`i:<step>[:<value>]` the request form's buttons (`i:x` cancels)."""

    prefix: ClassVar[str] = "i"
    step: str
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Privacy(CallbackData):
    """`p:del:ok` erase everything; `p:del:no` keep it."""

    prefix: ClassVar[str] = "p"
    action: str
    answer: str = ""


@dataclasses.dataclass(frozen=True)
class Subscriptions(CallbackData):
    """`n:` the subscription screen · `n:s:<topics>` a selection (not saved) ·
    `n:ok:<topics>` save it · `n:stop` unsubscribe; <topics> comma-separated, `*` all, `-` none."""

    prefix: ClassVar[str] = "n"
    action: str = ""
    topics: str = ""


# --------------------------------------------------------------------- the staff side


@dataclasses.dataclass(frozen=True)
class Announce(CallbackData):
    """`an:<step>:<broadcast>:<version>[:<value>]`: toggle a topic (`t`), a language (`l`),
    preview (`p`), confirm (`go`), discard (`x`) — the version makes stale buttons detectable."""

    prefix: ClassVar[str] = "an"
    step: str
    broadcast: int
    version: int
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Card(CallbackData):
    """`c:<case>:<action>[:<value>]` a case card's buttons in the staff group."""

    prefix: ClassVar[str] = "c"
    case: int
    action: str = ""
    value: str = ""


@dataclasses.dataclass(frozen=True)
class Noop(CallbackData):
    """`nop:` a placeholder button that does nothing (a card with no actions left)."""

    prefix: ClassVar[str] = "nop"
