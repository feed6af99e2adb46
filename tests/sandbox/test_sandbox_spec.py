"""The emulator's wire-type tables agree with the published Bot API spec (api.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.botapi.spec import (
    BOOL_FIELDS,
    CHAT_ID_FIELDS,
    FILE_FIELDS,
    INT_FIELDS,
    JSON_FIELDS,
    REQUIRED,
)

API_JSON = Path("/work/shared/telegram-bot-api/api.json")
SCALARS = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})
pytestmark = pytest.mark.skipif(not API_JSON.exists(), reason="Bot API spec not available")


def _methods() -> dict[str, Any]:
    methods: dict[str, Any] = json.loads(API_JSON.read_text())["methods"]
    return methods


def _kind(types: list[str]) -> str:
    if types == ["Integer"]:
        return "int"
    if types == ["Boolean"]:
        return "bool"
    if any(t.startswith("Array of ") or t not in SCALARS for t in types):
        return "json"
    return "other"


def test_every_typed_parameter_of_an_emulated_method_is_in_its_table() -> None:
    tables = {"int": INT_FIELDS, "bool": BOOL_FIELDS, "json": JSON_FIELDS}
    spec = _methods()
    for method in REQUIRED:
        for field in spec[method].get("fields", []):
            name, kind = field["name"], _kind(field["types"])
            if kind in tables and name not in FILE_FIELDS | CHAT_ID_FIELDS:
                assert name in tables[kind], (method, name, field["types"])


def test_the_tables_name_each_parameter_by_its_spec_type() -> None:
    seen: dict[str, set[str]] = {}
    for method in _methods().values():
        for field in method.get("fields", []):
            seen.setdefault(field["name"], set()).add(_kind(field["types"]))
    # Parameters gone from the spec that older clients still send (PTB among them).
    legacy = {"reply_to_message_id", "allow_sending_without_reply"}
    for kind, table in (("int", INT_FIELDS), ("bool", BOOL_FIELDS), ("json", JSON_FIELDS)):
        for name in table - legacy:
            assert kind in seen.get(name, set()), (name, seen.get(name))
