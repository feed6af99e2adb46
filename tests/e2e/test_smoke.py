"""The minimal path: /start greets in the person's language and shows the language picker."""

from __future__ import annotations

from tests.e2e.harness import Harness


async def test_start_offers_language_picker_then_menu(harness: Harness) -> None:
    person = harness.person("Leyla", "ru")
    await person.send("/start")
    picker = await person.wait_for("Русский")
    assert picker.button_labels()[0] == "Русский"  # Telegram's language is suggested first
    await person.press("Русский")
    audience = await person.wait_for(
        lambda m: any("a:-" == b.callback_data for row in m.buttons for b in row)
    )
    await person.press(audience.buttons[-1][0].text)
    menu = await person.wait_for(
        lambda m: any(b.callback_data == "e:" for row in m.buttons for b in row)
    )
    assert menu.buttons[0][0].callback_data == "e:"


async def test_a_failing_handler_is_logged_by_update_id_and_the_worker_goes_on(
    harness: Harness, monkeypatch, caplog
) -> None:
    from bot.handlers import search

    async def broken(update, context, text):
        raise RuntimeError(f"boom while handling {text}")

    monkeypatch.setattr(search, "search_faq", broken)
    monkeypatch.setattr("bot.handlers.text.search_faq", broken)
    person = harness.person("Err", "en")
    await person.send("/start")
    await person.wait_for(lambda m: bool(m.buttons))
    await person.press("English")
    await person.wait_for(lambda m: any(b.callback_data == "a:-" for row in m.buttons for b in row))
    await person.press_data("a:-", person.last().message_id)
    await person.wait_for(lambda m: any(b.callback_data == "e:" for row in m.buttons for b in row))
    await person.send("secret question text")
    apology = await person.wait_for("something went wrong")
    assert apology is not None
    await harness.settle()
    rows = await harness.services.store.executor.fetchall(
        "SELECT status, error, payload FROM inbox WHERE status = 'failed'"
    )
    assert len(rows) == 1
    assert rows[0]["payload"] is None and "secret" not in rows[0]["error"]
    assert "RuntimeError" in rows[0]["error"]
    assert any(
        "failed" in r.getMessage() and "secret" not in r.getMessage() for r in caplog.records
    )
    await person.send("/help")  # the worker goes on
    await person.wait_for("/language")


async def test_help_lists_the_command_table_and_typed_help_says_the_same(harness: Harness) -> None:
    from bot.handlers.commands import help_lines

    person = harness.person("Help", "en")
    await person.send("/help")
    shown = await person.wait_for("/start")
    for name, _msgid in help_lines():
        assert f"/{name} — " in shown.text
    assert "/reload" not in shown.text and "/about" not in shown.text
    await person.send("help")
    typed = await person.wait_for(lambda m: m.message_id != shown.message_id and "/start" in m.text)
    assert typed.text == shown.text
