"""Issue 13 through the bot: new answers found by typing and by buttons, and outcome labels
that say what a result means (Persian and Russian, driven as people would)."""

from __future__ import annotations

from bot.sandbox import BotMessage, UserDriver
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness


def _answer(message: BotMessage, option: str) -> str:
    for row in message.buttons:
        for button in row:
            data = button.callback_data or ""
            if data.startswith("q:") and data.endswith(f":{option}"):
                return data
    raise AssertionError(f"no answer {option!r} on {message.button_labels()}")


def _data(message: BotMessage) -> list[str]:
    return [b.callback_data or "" for row in message.buttons for b in row]


async def _open_flow(person: UserDriver, menu: BotMessage, flow_id: str) -> BotMessage:
    await person.press_data("m:eligibility", menu.message_id)
    flows = await person.wait_for(has_data("g:"))
    await person.press_data(f"g:{flow_id}", flows.message_id)
    return await person.wait_for(has_data("q:"))


async def test_persian_unpaid_wages_by_typing_and_by_buttons_and_a_work_permit_outcome(
    harness: Harness,
) -> None:
    person = harness.person("Farid", "fa")
    menu = await onboard(person, "فارسی")

    # Typed in Dari words ("my employer has not paid my wages").
    await person.send("کارفرما معاشم را نداده")
    found = await person.wait_for(has_data("f:"))
    assert _data(found)[0] == "f:rights.unpaid_wages"
    await person.press_data("f:rights.unpaid_wages", found.message_id)
    answer = await person.wait_for(has_data("h:rights.unpaid_wages"))
    assert "بازرسی کار" in answer.text  # the State Labour Inspection Service, in Persian
    assert "sosial.gov.az" in (answer.html or "") and "ombudsman.az/en/pages/6" in (
        answer.html or ""
    )

    # The same answer through the menus: Rights → the item.
    await person.send("/start")
    menu = await person.wait_for(has_data("e:"))
    await person.press_data("m:rights", menu.message_id)
    topic = await person.wait_for(has_data("f:rights."))
    assert "f:rights.unpaid_wages" in _data(topic) and "f:rights.fines_foreigners" in _data(topic)
    await person.press_data("f:rights.unpaid_wages", topic.message_id)
    await person.wait_for(has_data("h:rights.unpaid_wages"))

    # "Can I work without a work permit?" → no exemption: the outcome says a permit is needed
    # first, never the generic "probably not eligible".
    await person.send("/start")
    menu = await person.wait_for(has_data("e:"))
    q1 = await _open_flow(person, menu, "work_permit")
    await person.press_data(_answer(q1, "no"), q1.message_id)
    q2 = await person.wait_for(lambda m: any(":spouse:" in d for d in _data(m)))
    await person.press_data(_answer(q2, "no"), q2.message_id)
    q3 = await person.wait_for(lambda m: any(":refugee:" in d for d in _data(m)))
    await person.press_data(_answer(q3, "neither"), q3.message_id)
    outcome = await person.wait_for(has_data("r:flow:work_permit"))
    assert "اول اجازهٔ کار لازم است: کارفرما درخواست می‌دهد" in outcome.text
    assert "احتمالاً فاقد شرایط" not in outcome.text


async def test_russian_dual_citizenship_by_typing_and_by_buttons_and_corrected_outcomes(
    harness: Harness,
) -> None:
    person = harness.person("Olga", "ru")
    menu = await onboard(person, "Русский")

    await person.send("двойное гражданство азербайджан штраф")
    found = await person.wait_for(has_data("f:"))
    assert _data(found)[0] == "f:doc.dual_citizenship"
    await person.press_data("f:doc.dual_citizenship", found.message_id)
    answer = await person.wait_for(has_data("h:doc.dual_citizenship"))
    assert "в течение месяца" in answer.text and "318-2" in answer.text
    assert "paris.mfa.gov.az" in (answer.html or "")

    await person.send("/start")
    menu = await person.wait_for(has_data("e:"))
    await person.press("Документы", menu)
    topic = await person.wait_for(has_data("m:documents."))
    await person.press("Документы для граждан", topic)
    items = await person.wait_for(has_data("f:doc."))
    assert "f:doc.dual_citizenship" in _data(items) and "f:doc.id_after_return" in _data(items)
    await person.press_data("f:doc.dual_citizenship", items.message_id)
    await person.wait_for(has_data("h:doc.dual_citizenship"))

    # The closed pilot: matching its profile is not "likely eligible".
    await person.send("/start")
    menu = await person.wait_for(has_data("e:"))
    q1 = await _open_flow(person, menu, "reintegration")
    await person.press_data(_answer(q1, "yes"), q1.message_id)
    q2 = await person.wait_for(lambda m: any(":from_eu:" in d for d in _data(m)))
    await person.press_data(_answer(q2, "yes"), q2.message_id)
    q3 = await person.wait_for(lambda m: any(":how:" in d for d in _data(m)))
    await person.press_data(_answer(q3, "readmitted"), q3.message_id)
    await person.wait_for(lambda m: any(":when:" in d for d in _data(m)))
    await person.send("3 месяца")
    q5 = await person.wait_for(lambda m: any(":other:" in d for d in _data(m)))
    await person.press_data(_answer(q5, "no"), q5.message_id)
    outcome = await person.wait_for(has_data("r:flow:reintegration"))
    assert (
        "Вы подходите под профиль, которому помогала программа; "
        "что действует сегодня, проверит консультант"
    ) in outcome.text
    assert "Скорее всего, вы имеете право" not in outcome.text
    assert "Время возвращения" in outcome.text  # gender-neutral summary, not "Вернулся"

    # "Do I need to register?" for a short stay: "no registration needed", not "no right".
    await person.send("/start")
    menu = await person.wait_for(has_data("e:"))
    q1 = await _open_flow(person, menu, "registration")
    await person.press_data(_answer(q1, "no"), q1.message_id)
    q2 = await person.wait_for(lambda m: any(":moved:" in d for d in _data(m)))
    await person.press_data(_answer(q2, "no"), q2.message_id)
    q3 = await person.wait_for(lambda m: any(":kazakhstan:" in d for d in _data(m)))
    await person.press_data(_answer(q3, "no"), q3.message_id)
    await person.wait_for("15")
    await person.send("10")
    outcome = await person.wait_for(has_data("r:flow:registration"))
    assert "Для этой поездки регистрация не нужна" in outcome.text
    assert "Вероятно, вы не имеете права" not in outcome.text
