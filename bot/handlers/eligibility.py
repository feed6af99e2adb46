"""Eligibility questionnaires: one question at a time, answers stored, outcomes explained."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as cb
from bot.flows.engine import (
    InvalidAnswer,
    OutcomeView,
    StaleAnswers,
    parse_answer,
    typed_option,
    view,
)
from bot.flows.model import Flow
from bot.handlers.context import BotContext, leave_step, pressed_data
from bot.handlers.render import answer_query, show
from bot.handlers.search import search_faq
from bot.storage.records import FlowSession
from bot.ui import flows as flow_ui
from bot.ui import menus
from bot.ui.screen import Screen

FLOW_STATE = "flow"


def eligibility_menu(context: BotContext) -> Screen:
    """The list of questionnaires (the Eligibility topic)."""
    bundle = context.services.content
    return flow_ui.flow_list(bundle.pack, bundle.flows, context.tr)


async def _present(
    update: Update,
    context: BotContext,
    flow: Flow,
    session: FlowSession,
    *,
    notice: str = "",
    intro: bool = False,
) -> None:
    """Show the session's current step; at an outcome, store the result and end the session."""
    services = context.services
    person = context.person
    assert person is not None
    chain = services.content.pack.language_chain(context.tr.lang)
    step = view(flow, session.answers, chain)
    now = services.clock.now()
    if isinstance(step, OutcomeView):
        await services.records.save_flow_result(session, step.outcome.id, step.outcome.result, now)
        await services.records.end_flow_session(person.user_id)
        await leave_step(context)
        await show(update, flow_ui.outcome(services.content.pack, flow, step, context.tr))
        return
    await services.records.save_flow_session(session, now)
    # Every question takes typed answers ("3 months", "да", "2"): the text router must know.
    state = FLOW_STATE
    typed = update.callback_query is None and person.state == FLOW_STATE
    if person.state != state or typed:
        # A typed answer is marked as applied, so a replay cannot answer the next question too.
        await services.people.set_state(person.user_id, state, update_id=context.update_id)
        person.state = state
    intro_text = str(flow.texts.intro(chain)) if intro else ""
    await show(update, flow_ui.question(flow, step, context.tr, intro=intro_text, notice=notice))


async def on_start_flow(update: Update, context: BotContext) -> None:
    """g:<flow> starts (or restarts) a questionnaire at its current version."""
    await answer_query(update)
    person = context.person
    if person is None or update.callback_query is None:
        return
    pressed = pressed_data(update, cb.FlowStart)
    flow = context.services.content.flows.get(pressed.flow) if pressed else None
    if flow is None:
        pack = context.services.content.pack
        await show(update, menus.menu_changed(pack, person.audience, context.tr))
        return
    session = FlowSession(person.user_id, flow.id, flow.version, [])
    await _present(update, context, flow, session, intro=True)


async def on_answer(update: Update, context: BotContext) -> None:
    """q:<flow>:<version>:<question>:<answer> records an answer and shows the next step."""
    person = context.person
    query = update.callback_query
    if person is None or query is None:
        return
    services = context.services
    parsed = pressed_data(update, cb.FlowAnswer)
    flow = services.content.flows.get(parsed.flow) if parsed else None
    if parsed is None or flow is None:
        await answer_query(update)
        await show(update, menus.menu_changed(services.content.pack, person.audience, context.tr))
        return
    version, qid, answer = parsed.version, parsed.question, parsed.answer
    session = await services.records.flow_session(person.user_id)
    if (
        version != flow.version
        or session is None
        or session.flow_id != flow.id
        or session.version != flow.version
    ):
        await answer_query(update)
        notice = "🔄 " + context.tr._(
            "The questions have changed since this message. Here is the current version."
        )
        await _present(
            update,
            context,
            flow,
            FlowSession(person.user_id, flow.id, flow.version, []),
            notice=notice,
            intro=True,
        )
        return
    try:
        current = view(flow, session.answers, [context.tr.lang])
    except StaleAnswers:
        current = None
    if current is None or isinstance(current, OutcomeView) or current.question.id != qid:
        # A double tap, or a button from an earlier question: show where they really are.
        await answer_query(update)
        await _present(update, context, flow, session)
        return
    try:
        value = parse_answer(current.question, answer, services.clock.now().date())
    except InvalidAnswer:
        await answer_query(update)
        await _present(update, context, flow, session)
        return
    await answer_query(update)
    await _present(
        update,
        context,
        flow,
        FlowSession(person.user_id, flow.id, flow.version, [*session.answers, (qid, value)]),
    )


async def on_back(update: Update, context: BotContext) -> None:
    """qb:<flow>:<version> goes back one question."""
    await answer_query(update)
    person = context.person
    if person is None or update.callback_query is None:
        return
    services = context.services
    pressed = pressed_data(update, cb.FlowBack)
    flow = services.content.flows.get(pressed.flow) if pressed else None
    session = await services.records.flow_session(person.user_id)
    if (
        flow is None
        or session is None
        or session.flow_id != flow.id
        or session.version != flow.version
    ):
        await show(update, eligibility_menu(context))
        return
    await _present(
        update,
        context,
        flow,
        FlowSession(person.user_id, flow.id, flow.version, session.answers[:-1]),
    )


async def on_exit(update: Update, context: BotContext) -> None:
    """qx: leaves the questionnaire (answers kept until they start again) for the main menu."""
    await answer_query(update)
    person = context.person
    if person is None:
        return
    await leave_step(context)
    await show(update, menus.main_menu(context.services.content.pack, person.audience, context.tr))


async def on_typed_answer(update: Update, context: BotContext) -> None:
    """A typed answer: yes/no in any language, an option's number or words, a number or date."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or not message.text:
        return
    services = context.services
    session = await services.records.flow_session(person.user_id)
    flow = services.content.flows.get(session.flow_id) if session else None
    if session is None or flow is None or session.version != flow.version:
        await services.people.set_state(person.user_id, None)
        await show(update, eligibility_menu(context))
        return
    try:
        current = view(flow, session.answers, services.content.pack.language_chain(context.tr.lang))
    except StaleAnswers:
        await _present(
            update, context, flow, FlowSession(person.user_id, flow.id, flow.version, [])
        )
        return
    if isinstance(current, OutcomeView):
        return
    text = message.text[:200]
    intents = services.content.intents
    intent = intents.match(text)
    if intent is not None and intent.match == "anywhere":
        # An emergency or a request for a person is answered as such; the questionnaire
        # waits where it is (its buttons still work).
        await search_faq(update, context, text)
        return
    question = current.question
    labels = {option: label for option, label, _data in current.options}
    value = typed_option(question, text, labels, intents.yes_no(text))
    problem = "not_an_option"
    if value is None and (question.accepts_text or not question.has_buttons):
        try:
            value = parse_answer(question, text[:100], services.clock.now().date())
        except InvalidAnswer as exc:
            problem = exc.code
    if value is None:
        if intent is not None or (question.has_buttons and len(text.split()) > 3):
            await search_faq(update, context, text)  # a message of its own, not an answer
            return
        hint = context.tr._(
            flow_ui.INVALID_ANSWER.get(problem, flow_ui.INVALID_ANSWER["not_an_option"])
        )
        await _present(update, context, flow, session, notice="⚠️ " + hint)
        return
    await _present(
        update,
        context,
        flow,
        FlowSession(
            person.user_id, flow.id, flow.version, [*session.answers, (question.id, value)]
        ),
    )
