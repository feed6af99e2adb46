"""Make the emulator fixtures available to these tests even before the root conftest imports them."""

from tests.sandbox_fixtures import emulator, tg_bot

__all__ = ["emulator", "tg_bot"]
