"""Questionnaires and request forms answered by typing: yes/no in every language, an option's
number or words, numbers in Persian digits; anything else still gets a sensible reply."""

from __future__ import annotations

from bot.sandbox import UserDriver
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness


async def _start(person: UserDriver, flow_id: str) -> None:
    await person.press_data(f"g:{flow_id}", person.last().message_id)
    await person.wait_for("1")


async def test_persian_speaker_answers_the_reintegration_questions_by_typing(
    harness: Harness,
) -> None:
    person = harness.person("Ahmad", "fa")
    await onboard(person, "فارسی")
    await _start(person, "reintegration")
    await person.send("بله")  # citizen: yes
    await person.wait_for(lambda m: "2" in m.text and has_data("q:reintegration:1:from_eu:")(m))
    await person.send("آره")  # from the EU: yes (colloquial)
    await person.wait_for(has_data("q:reintegration:1:how:"))
    await person.send("2")  # the second option: deported, forced return
    await person.wait_for(has_data("q:reintegration:1:other:"))
    await person.send("نه")  # no other programme
    outcome = await person.wait_for(has_data("r:flow:reintegration"))
    assert "\u2068" in outcome.text or "\u2066" in outcome.text  # dates isolated in RTL
    await harness.settle()
    results = await harness.services.records.flow_results_of(person.user_id)
    assert results[-1]["outcome"] == "match"
    assert '"forced"' in str(results[-1]["answers"])


async def test_russian_and_azerbaijani_words_and_labels_as_answers(harness: Harness) -> None:
    ivan = harness.person("Ivan", "ru")
    await onboard(ivan, "Русский")
    await _start(ivan, "reintegration")
    for typed, next_question in (("Да", "from_eu"), ("да, конечно", "how")):
        await ivan.send(typed)
        await ivan.wait_for(has_data(f"q:reintegration:1:{next_question}:"))
    await ivan.send("депортирован")  # part of the label "Депортирован, возвращён принудительно"
    await ivan.wait_for(has_data("q:reintegration:1:other:"))
    await ivan.send("нет")
    await ivan.wait_for(has_data("r:flow:reintegration"))

    orxan = harness.person("Orxan", "az")
    await onboard(orxan, "Azərbaycanca")
    await _start(orxan, "registration")
    await orxan.send("yox")  # not a citizen
    await orxan.wait_for(has_data("q:registration:1:moved:"))
    await orxan.send("xeyr")
    await orxan.wait_for(has_data("q:registration:1:kazakhstan:"))
    await orxan.send("hayır")  # Turkish "no" from an Azerbaijani speaker: fine too
    await orxan.wait_for(has_data("qb:registration"))  # how many days: a number question
    await orxan.send("۲۰")  # twenty in Persian digits
    outcome = await orxan.wait_for(has_data("f:doc.registration"))
    assert "15" in outcome.text


async def test_what_is_not_an_answer_gets_a_hint_or_a_real_reply(harness: Harness) -> None:
    tom = harness.person("Tom", "en")
    await onboard(tom)
    await _start(tom, "reintegration")
    await tom.send("maybe")
    hint = await tom.wait_for(has_data("q:reintegration:1:citizen:"))
    assert "⚠️" in hint.text
    await tom.send("my husband beats me")  # an emergency is never taken for an answer
    await tom.wait_for("112")
    await tom.send("how do I register my address when I arrive")  # a question of its own
    found = await tom.wait_for(has_data("f:"))
    assert "f:doc.registration" in [b.callback_data for row in found.buttons for b in row]
    await tom.send("yes")  # the questionnaire was waiting all along
    await tom.wait_for(has_data("q:reintegration:1:from_eu:"))


async def test_a_request_form_takes_typed_categories_and_household_counts(harness: Harness) -> None:
    zahra = harness.person("Zahra", "fa")
    await onboard(zahra, "فارسی")
    await zahra.press_data("r:new", zahra.last().message_id)
    await zahra.wait_for(has_data("i:cat:"))
    await zahra.send("مسکن")  # the "Housing" category, typed
    await zahra.wait_for(has_data("i:x"))
    await zahra.send("جایی برای ماندن نداریم")
    done = await zahra.wait_for(has_data("i:done"))
    await zahra.press_data("i:done", done.message_id)
    await zahra.wait_for(has_data("i:phone:-"))
    await zahra.send("نه")
    await zahra.wait_for(has_data("i:region:-"))
    await zahra.send("باکو")
    await zahra.wait_for(has_data("i:adults:"))
    await zahra.send("۲")
    await zahra.wait_for(has_data("i:children:"))
    await zahra.send("3")
    await zahra.wait_for(has_data("i:v:"))
    row = await harness.services.people.get(zahra.user_id)
    assert row is not None and row.state_data["category"] == "housing"
    assert (row.state_data["adults"], row.state_data["children"]) == (2, 3)
