"""The minimal path: /start greets in the person's language and shows the language picker."""

from __future__ import annotations

from tests.e2e.harness import Harness


async def test_start_offers_language_picker_then_menu(harness: Harness) -> None:
    person = harness.person("Leyla", "ru")
    await person.send("/start")
    picker = await person.wait_for("Русский")
    assert picker.button_labels()[0] == "Русский"  # Telegram's language is suggested first
    await person.press("Русский")
    audience = await person.wait_for(lambda m: any("a:-" == b.callback_data for row in m.buttons for b in row))
    await person.press(audience.buttons[-1][0].text)
    menu = await person.wait_for(lambda m: any(b.callback_data == "e:" for row in m.buttons for b in row))
    assert menu.buttons[0][0].callback_data == "e:"
