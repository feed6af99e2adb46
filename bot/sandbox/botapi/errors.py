"""Bot API error responses."""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def bad(description: str) -> ApiError:
    """A 400 "Bad Request: ..." error."""
    return ApiError(400, f"Bad Request: {description}")


def too_many(wait: float) -> ApiError:
    """A 429 flood-control refusal asking to wait at least `wait` seconds (rounded up)."""
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
