"""Menus, answers, search and languages, driven as people would through the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import ROOT, Harness, HarnessFactory


async def test_russian_speaker_navigates_documents_item_back_and_main_menu(
    harness: Harness,
) -> None:
    person = harness.person("Ivan", "ru")
    menu = await onboard(person, "Русский")
    assert "Главное меню" in menu.text or "меню" in menu.text.lower()
    await person.press("Документы", menu)
    topic = await person.wait_for(has_data("m:documents."))
    assert topic.message_id == menu.message_id  # edited in place, not a new message
    await person.press("Документы для граждан", topic)
    items = await person.wait_for(has_data("f:doc."))
    await person.press_data("f:doc.lost_passport_abroad", items.message_id)
    answer = await person.wait_for(has_data("h:doc.lost_passport_abroad"))
    assert "mfa.gov.az" in (answer.html or "")  # the source is shown
    assert "2026" in answer.text  # and the last-checked date
    await person.press("Назад", answer)
    back = await person.wait_for(has_data("f:doc.lost_passport_abroad"))
    assert back.message_id == menu.message_id
    await person.press("Главное меню", back)
    await person.wait_for(has_data("e:"))
    assert len(person.messages()) <= 3  # greeting/picker edits, not a flood of messages


async def test_azerbaijani_search_without_diacritics_and_with_a_typo(harness: Harness) -> None:
    person = harness.person("Orxan", "az")
    await onboard(person, "Azərbaycanca")
    await person.send("olduqu yer uzre qeydiyyat")
    found = await person.wait_for(has_data("f:"))
    assert found.buttons[0][0].callback_data == "f:doc.registration"
    await person.send("qeydiyat")  # a typo
    found = await person.wait_for(has_data("f:"))
    assert "f:doc.registration" in [b.callback_data for row in found.buttons for b in row]
    await person.send("xaricde pasportu itirdim")
    found = await person.wait_for(has_data("f:"))
    assert "f:doc.lost_passport_abroad" in [
        b.callback_data for row in found.buttons[:3] for b in row
    ]


async def test_search_that_finds_nothing_offers_a_caseworker(harness: Harness) -> None:
    person = harness.person("Tom", "en")
    await onboard(person)
    await person.send("zzzzqqqq xxyyzz")
    reply = await person.wait_for(has_data("r:new"))
    assert "could not find" in reply.text


async def test_switching_language_midway(harness: Harness) -> None:
    person = harness.person("Aziz", "en")
    menu = await onboard(person)
    assert "Main menu" in menu.text
    await person.send("/language")
    picker = await person.wait_for(has_data("l:"))
    await person.press("Русский", picker)
    menu = await person.wait_for(has_data("e:"))
    assert "Главное меню" in menu.text
    await person.send("/start")
    again = await person.wait_for(has_data("e:"))
    assert "Главное меню" in again.text  # the choice is remembered


async def test_persian_speaker_reads_persian_right_to_left(harness: Harness) -> None:
    person = harness.person("Ahmad", "fa")
    menu = await onboard(person, "فارسی")
    assert any("\u0600" <= ch <= "\u06ff" for ch in menu.text)
    await person.press_data("f:asylum.apply", menu.message_id)
    answer = await person.wait_for(has_data("h:asylum.apply"))
    assert any("\u0600" <= ch <= "\u06ff" for ch in answer.text)
    assert "\u2068" in answer.text  # dates and numbers isolated for right-to-left reading
    await person.press_data("f:svc.asan", answer.message_id)  # not translated: English, said so
    fallback = await person.wait_for(has_data("h:svc.asan"))
    assert "ASAN" in fallback.text


async def test_emergency_numbers_are_one_tap_from_the_main_menu(harness: Harness) -> None:
    person = harness.person("Lale", "en")
    menu = await onboard(person)
    assert menu.buttons[0][0].callback_data == "e:"
    await person.press_data("e:", menu.message_id)
    numbers = await person.wait_for("112")
    assert "103" in numbers.text and "116111" in numbers.text


async def test_helpful_vote_is_counted_once(harness: Harness) -> None:
    person = harness.person("Rauf", "en")
    menu = await onboard(person)
    await person.press_data("f:doc.registration", menu.message_id)
    answer = await person.wait_for(has_data("h:doc.registration"))
    await person.press_data("h:doc.registration:1", answer.message_id)
    await person.press_data("h:doc.registration:1", answer.message_id)  # a double tap
    await harness.settle()
    assert await harness.services.records.feedback_counts() == [("doc.registration", 1, 0)]


async def test_stale_buttons_after_a_content_reload(
    harness_factory: HarnessFactory, tmp_path: Path
) -> None:
    pack = tmp_path / "content"
    shutil.copytree(ROOT / "content", pack)
    harness = await harness_factory(content_dir=pack)
    person = harness.person("Elvin", "en")
    menu = await onboard(person)
    await person.press_data("m:documents", menu.message_id)
    topic = await person.wait_for(has_data("m:documents."))
    # The operator removes an item (and every mention of it) and reloads, while the person
    # still sees the old menu.
    _remove_item(pack, "about.privacy")
    assert harness.runtime is not None
    await harness.runtime.reload_content()
    await person.press_data("f:about.privacy", topic.message_id)
    changed = await person.wait_for(has_data("e:"))
    assert "changed" in changed.text
    await person.press_data("f:doc.registration", topic.message_id)  # an unchanged id keeps working
    await person.wait_for(has_data("h:doc.registration"))


def _remove_item(pack: Path, item_id: str) -> None:
    """Delete an FAQ item from a copy of the pack: its structure, texts and related links."""
    for path in (pack / "faq").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["items"] = [i for i in data["items"] if i["id"] != item_id]
        for item in data["items"]:
            item["related"] = [r for r in item.get("related", []) if r != item_id]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for path in (pack / "text").glob("*/faq.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["items"].pop(item_id, None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
