"""Telegram language codes the pack has no texts for, and the language picker's order."""

from __future__ import annotations

from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness


async def test_uzbek_and_dari_app_languages_get_russian_and_persian(harness: Harness) -> None:
    dilshod = harness.person("Dilshod", "uz")
    await dilshod.send("/start")
    picker = await dilshod.wait_for(has_data("l:"))
    assert "Здравствуйте" in picker.text or "Привет" in picker.text  # Russian, not English
    assert picker.button_labels()[0] == "Русский"  # and suggested first
    zahra = harness.person("Zahra", "prs")
    await zahra.send("/start")
    picker = await zahra.wait_for(has_data("l:"))
    assert any("\u0600" <= ch <= "\u06ff" for ch in picker.text.split("🌐")[0])
    assert picker.button_labels()[0] == "فارسی"
    karim = harness.person("Karim", "fa-AF")
    await karim.send("/emergency")
    numbers = await karim.wait_for("112")
    assert any("\u0600" <= ch <= "\u06ff" for ch in numbers.text)


async def test_language_command_keeps_one_order_in_own_names(harness: Harness) -> None:
    pack = harness.services.content.pack
    expected = [lang.name for lang in pack.enabled_languages()]
    orders = []
    for lang, label in (("ru", "Русский"), ("fa", "فارسی")):
        person = harness.person(f"L{lang}", lang)
        await onboard(person, label)
        await person.send("/language")
        picker = await person.wait_for(has_data("l:"))
        labels = picker.button_labels()
        assert f"✓ {label}" in labels  # the current language is ticked
        orders.append([name.removeprefix("✓ ") for name in labels])
    assert orders[0] == orders[1] == expected
