"""Local Bot API emulator and test drivers: the bot's tests talk to this instead of Telegram."""

from bot.sandbox.driver import BotMessage, Button, GroupDriver, Topic, UserDriver
from bot.sandbox.emulator import ApiError, Emulator, Faults, RateLimits, serve_forever

__all__ = [
    "ApiError",
    "BotMessage",
    "Button",
    "Emulator",
    "Faults",
    "GroupDriver",
    "RateLimits",
    "Topic",
    "UserDriver",
    "serve_forever",
]
