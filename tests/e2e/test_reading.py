"""Answers read on a phone: one footer line with local source names, contacts without
repeated numbers, and numbers, phones, dates and Latin names isolated in Persian."""

from __future__ import annotations

from tests.e2e.flows_helpers import has_data, onboard, open_request
from tests.e2e.harness import Harness

LRI, PDI = "\u2066", "\u2069"


def footer_of(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("📚"))


async def test_one_footer_line_with_source_names_in_the_persons_language(harness: Harness) -> None:
    tom = harness.person("Tom", "en")
    menu = await onboard(tom)
    await tom.press_data("f:doc.registration", menu.message_id)
    answer = await tom.wait_for(has_data("h:doc.registration"))
    line = footer_of(answer.text)
    assert "State Migration Service" in line and "🗓" in line and "⚠️" in line  # all on one line
    assert "registration at the place of stay" not in line  # the short name, not the page title
    assert 'href="https://migration.gov.az' in (answer.html or "")
    assert answer.text.rstrip().endswith(line)  # nothing after it: one line, not four

    zahra = harness.person("Zahra", "fa")
    menu = await onboard(zahra, "فارسی")
    await zahra.press_data("f:doc.registration", menu.message_id)
    answer = await zahra.wait_for(has_data("h:doc.registration"))
    line = footer_of(answer.text)
    assert "ادارهٔ دولتی مهاجرت" in line and "State Migration Service" not in line
    assert "پیش‌نویس" in line  # the draft status, in Persian, on the same line


async def test_emergency_numbers_are_not_repeated_in_their_labels(harness: Harness) -> None:
    for lang, label in (("en", "English"), ("fa", "فارسی")):
        person = harness.person(f"E{lang}", lang)
        await onboard(person, label)
        await person.send("/emergency")
        numbers = await person.wait_for("112")
        ambulance = next(line for line in numbers.text.splitlines() if "103" in line)
        assert ambulance.count("103") == 1, ambulance


async def test_persian_text_isolates_numbers_phones_and_latin_names(harness: Harness) -> None:
    zahra = harness.person("Zahra", "fa")
    menu = await onboard(zahra, "فارسی")
    await zahra.press_data("f:rights.equal", menu.message_id)
    answer = await zahra.wait_for(has_data("h:rights.equal"))
    assert f"{LRI}(012) 919{PDI}" in answer.text  # a phone number as one run, brackets inside
    await zahra.press_data("f:svc.legal_aid_unhcr", answer.message_id)
    answer = await zahra.wait_for(has_data("h:svc.legal_aid_unhcr"))
    assert f"{LRI}UNHCR{PDI}" in answer.text
    await zahra.press_data("m:services.legal", answer.message_id)
    topic = await zahra.wait_for(has_data("f:svc.asan"))
    latin = [b for b in topic.button_labels() if any("a" <= ch.lower() <= "z" for ch in b)]
    assert latin and all(LRI in b for b in latin)  # button labels too ("UNHCR", "ASAN")
    # The content itself carries no direction marks: they are added when the bot sends.
    text = harness.services.content.pack.texts["fa"]["rights.equal"].answer
    assert LRI not in text and PDI not in text and "\u200f" not in text

    case_id = await open_request(zahra, "کمک")
    await harness.settle()
    thread = next(t.thread_id for t in harness.staff.topics() if t.name.startswith(f"#{case_id} "))
    await harness.caseworkers[0].send_in(
        harness.staff, "لطفا به شماره 012 919 زنگ بزنید", thread_id=thread
    )
    reply = await zahra.wait_for("919")
    assert f"{LRI}012 919{PDI}" in reply.text  # a caseworker's Persian reply gets it too

    tom = harness.person("Tom", "en")
    menu = await onboard(tom)
    await tom.press_data("f:svc.legal_aid_unhcr", menu.message_id)
    answer = await tom.wait_for(has_data("h:svc.legal_aid_unhcr"))
    assert LRI not in answer.text  # left-to-right text is left alone
