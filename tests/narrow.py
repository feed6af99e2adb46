"""Narrowing helpers for tests that know an optional value is there."""

from typing import TypeVar

T = TypeVar("T")


def present(value: T | None) -> T:
    """Return the value, failing the test if it is None (narrows the type for mypy)."""
    assert value is not None
    return value
