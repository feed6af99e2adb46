"""The command table drives registration, Telegram's command menus and /help."""

from __future__ import annotations

from bot.handlers import commands


def test_names_are_unique_and_every_menu_entry_has_a_handler() -> None:
    names = [c.name for c in commands.COMMANDS]
    assert len(names) == len(set(names))
    assert [n for n, _ in commands.menu_entries("person")] == [
        "start",
        "language",
        "requests",
        "emergency",
        "subscribe",
        "privacy",
        "mydata",
        "delete",
        "help",
    ]
    assert "reload" in [n for n, _ in commands.menu_entries("staff")]
    assert all(c.scope == "person" for c in commands.COMMANDS if c.help is not None)


def test_help_lists_what_the_table_says_in_order() -> None:
    assert [n for n, _ in commands.help_lines()] == [
        "start",
        "language",
        "requests",
        "emergency",
        "subscribe",
        "privacy",
        "mydata",
        "delete",
        "cancel",
    ]
