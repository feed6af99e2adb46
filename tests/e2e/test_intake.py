"""The request form as people use it: bursts of messages, skipping the phone, the consent."""

from __future__ import annotations

from bot.sandbox import UserDriver
from tests.e2e.flows_helpers import _last_with, has_data, onboard
from tests.e2e.harness import Harness


async def _to_describe(person: UserDriver) -> None:
    await person.press_data("r:new", person.last().message_id)
    await person.wait_for(has_data("i:cat:"))
    await person.press_data("i:cat:housing", person.last().message_id)
    await person.wait_for(has_data("i:x"))


async def test_a_burst_of_messages_gets_one_counter_edited_in_place(harness: Harness) -> None:
    for lang, label in (("ru", "Русский"), ("fa", "فارسی")):
        person = harness.person(f"Burst{lang}", lang)
        await onboard(person, label)
        await _to_describe(person)
        before = len(person.messages())
        for n in range(4):
            await person.send(f"part {n}")
            await person.wait_for(has_data("i:done"))
        await person.send_photo(caption="photo")
        await person.wait_for(lambda m: "5" in m.text and has_data("i:done")(m))
        await harness.settle()
        new = person.messages()[before:]
        assert len(new) == 1, [m.text for m in new]  # one acknowledgement, edited four times
        assert new[0].edits >= 4 and "5" in new[0].text
        harness.clock.advance(minutes=10)  # after a pause, a new burst gets a new counter
        await person.send("one more thing")
        await person.wait_for(has_data("i:done"))
        assert len(person.messages()[before:]) == 2


async def test_skipping_the_phone_is_a_choice_and_consent_lists_the_marks(harness: Harness) -> None:
    for lang, label, marks in (
        ("en", "English", ["Urgent medical need", "Children who need help"]),
        ("fa", "فارسی", None),
    ):
        person = harness.person(f"Consent{lang}", lang)
        await onboard(person, label)
        await _to_describe(person)
        await person.send("we have nowhere to sleep tonight")
        await person.wait_for(has_data("i:done"))
        await person.press_data("i:done", _last_with(person, "i:done").message_id)
        await person.wait_for(has_data("i:phone:-"))
        await person.press_data("i:phone:-", _last_with(person, "i:phone:-").message_id)
        tr = harness.services.catalogs.tr(lang)
        choice = tr._("Fine: no phone number. A caseworker will answer you here in this chat.")
        skipped = await person.wait_for(choice)
        assert "No phone number saved" not in skipped.text
        assert skipped.reply_markup == {"remove_keyboard": True}  # the share-phone keyboard goes
        await person.wait_for(has_data("i:region:-"))
        await person.press_data("i:region:-", person.last().message_id)
        await person.wait_for(has_data("i:adults:"))
        await person.press_data("i:adults:1", person.last().message_id)
        await person.wait_for(has_data("i:children:"))
        await person.press_data("i:children:2", person.last().message_id)
        vuln = await person.wait_for(has_data("i:v:"))
        await person.press_data("i:v:medical", vuln.message_id)
        await person.wait_for(has_data("i:v:"))
        await person.press_data("i:v:children", vuln.message_id)
        await person.wait_for(has_data("i:v:"))
        await person.press_data("i:v:done", vuln.message_id)
        consent = await person.wait_for(has_data("i:ok"))
        for label_text in marks or [tr._("Urgent medical need"), tr._("Children who need help")]:
            assert label_text in consent.text
        assert tr._("No place to live") not in consent.text  # only what was chosen
