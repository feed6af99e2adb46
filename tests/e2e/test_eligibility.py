"""Eligibility questionnaires through the bot: one question at a time, back, restart, outcome."""

from __future__ import annotations

from bot.sandbox import BotMessage
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness


def _answer(message: BotMessage, option: str) -> str:
    for row in message.buttons:
        for button in row:
            data = button.callback_data or ""
            if data.startswith("q:") and data.endswith(f":{option}"):
                return data
    raise AssertionError(f"no answer {option!r} on {message.button_labels()}")


async def test_reintegration_flow_with_back_typed_duration_and_a_request_with_answers(
    harness: Harness,
) -> None:
    person = harness.person("Rashad", "en")
    menu = await onboard(person)
    await person.press_data("m:eligibility", menu.message_id)
    flows = await person.wait_for(has_data("g:"))
    await person.press_data("g:reintegration", flows.message_id)
    q1 = await person.wait_for("Question 1 of")
    assert "RESTART" in q1.text or "2019" in q1.text  # the intro says it was a pilot
    await person.press_data(_answer(q1, "yes"), q1.message_id)
    q2 = await person.wait_for("Question 2 of")
    await person.press("Back", q2)  # back to the first question
    again = await person.wait_for("Question 1 of")
    await person.press_data(_answer(again, "yes"), again.message_id)
    q2 = await person.wait_for("Question 2 of")
    await person.press_data(_answer(q2, "yes"), q2.message_id)
    q3 = await person.wait_for("Question 3 of")
    await person.press_data(_answer(q3, "readmitted"), q3.message_id)
    await person.wait_for("Question 4 of")
    await person.send("3 months")  # typed instead of a button
    q5 = await person.wait_for("Question 5 of")
    await person.press_data(_answer(q5, "no"), q5.message_id)
    outcome = await person.wait_for(has_data("r:flow:reintegration"))
    assert "2019" in outcome.text and "2021" in outcome.text  # a closed pilot, said plainly
    assert "Likely eligible" not in outcome.text  # its own label, not the generic one
    assert "📚" in outcome.text and "checked" in outcome.text  # one footer line: sources, date
    await harness.settle()
    results = await harness.services.records.flow_results_of(person.user_id)
    assert results and results[-1]["outcome"] == "match" and results[-1]["flow_version"] == 1

    # "Ask a caseworker about this result": the answers travel with the request.
    await person.press_data("r:flow:reintegration", outcome.message_id)
    await person.wait_for(has_data("i:cat:"))
    from tests.e2e.flows_helpers import _last_with

    await person.press_data("i:cat:other", person.last().message_id)
    await person.wait_for(has_data("i:x"))
    await person.send("I came back from Germany last month")
    await person.wait_for(has_data("i:done"))
    await person.press_data("i:done", _last_with(person, "i:done").message_id)
    for data in ("i:phone:-", "i:region:-", "i:adults:-", "i:children:-", "i:v:done", "i:ok"):
        await person.wait_for(has_data(data.rsplit(":", 1)[0] if data.count(":") > 1 else data))
        await person.press_data(
            data,
            _last_with(person, data.rsplit(":", 1)[0] if data.count(":") > 1 else data).message_id,
        )
    await person.wait_for(has_data("r:list"))
    await harness.settle()
    card = next(m for m in harness.staff.messages() if m.text.startswith("🗂"))
    assert "Eligibility answers" in card.text and "Germany" not in card.text
    assert "Yes" in card.text
    # The outcome's own label travels to the card: a closed pilot's profile, not "eligible".
    assert (
        "(You match the profile the pilot served; a caseworker checks what runs today)" in card.text
    )


async def test_a_restart_in_the_middle_of_a_flow_keeps_the_answers(harness: Harness) -> None:
    person = harness.person("Gunel", "en")
    menu = await onboard(person)
    await person.press_data("g:work_permit", menu.message_id)
    q1 = await person.wait_for("Question 1 of")
    await person.press_data(_answer(q1, "no"), q1.message_id)
    q2 = await person.wait_for("Question 2 of")
    await harness.restart()
    await person.press_data(_answer(q2, "no"), q2.message_id)
    q3 = await person.wait_for("Question 3 of")
    await person.press_data(_answer(q3, "neither"), q3.message_id)
    outcome = await person.wait_for(has_data("r:flow:work_permit"))
    assert "employer" in outcome.text.lower()


async def test_a_button_from_an_older_version_restarts_the_current_one(harness: Harness) -> None:
    person = harness.person("Samir", "en")
    menu = await onboard(person)
    await person.press_data("g:registration", menu.message_id)
    q1 = await person.wait_for("Question 1 of")
    stale = _answer(q1, "yes").replace(":registration:1:", ":registration:0:")
    await person.press_data(stale, q1.message_id)
    notice = await person.wait_for("changed")
    assert "Question 1 of" in notice.text


async def test_a_double_tap_on_an_answer_counts_once(harness: Harness) -> None:
    person = harness.person("Lala", "en")
    menu = await onboard(person)
    await person.press_data("g:work_permit", menu.message_id)
    q1 = await person.wait_for("Question 1 of")
    data = _answer(q1, "no")
    await person.press_data(data, q1.message_id)
    await person.press_data(data, q1.message_id)
    await harness.settle()
    session = await harness.services.records.flow_session(person.user_id)
    assert session is not None and session.answers == [("permanent", "no")]
