"""Pytest fixtures for the Bot API emulator (imported into tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
import telegram

from bot.sandbox import Emulator


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A started emulator with default (Telegram-like) strictness, stopped afterwards."""
    emu = Emulator()
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    assert emu.internal_errors == [], "the emulator itself crashed:\n" + "\n".join(
        emu.internal_errors
    )


@pytest_asyncio.fixture
async def tg_bot(emulator: Emulator) -> AsyncIterator[telegram.Bot]:
    """A python-telegram-bot Bot talking to the emulator."""
    bot = telegram.Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.file_base_url
    )
    async with bot:
        yield bot
