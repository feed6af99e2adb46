"""Logging without personal data: no message text, phones or names, and no bot token."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


def redact(text: str, token: str = "") -> str:
    """The text without the bot token (as given, and anything shaped like one)."""
    if token:
        text = text.replace(token, "<token>")
    return _TOKEN_ANYWHERE.sub("<token>", text)


_TOKEN_ANYWHERE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """Blank out anything shaped like a bot token (it appears in request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str) and "bot" in record.msg:
            record.msg = _TOKEN.sub("bot<token>", record.msg)
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    cap_library_loggers()


# Libraries log request parameters, SQL arguments and URLs (message text, phone numbers, the
# bot token) at DEBUG or INFO. Whatever LOG_LEVEL says, they never log below these levels.
LIBRARY_FLOORS = {
    "httpx": logging.WARNING,  # request URLs carry the token
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,  # DEBUG dumps every API call's parameters and results
    "aiosqlite": logging.INFO,  # DEBUG dumps every SQL statement with its arguments
    "apscheduler": logging.WARNING,
    "aiohttp": logging.WARNING,
}


def cap_library_loggers() -> None:
    """Keep third-party loggers above the levels at which they would log personal data."""
    for name, floor in LIBRARY_FLOORS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
