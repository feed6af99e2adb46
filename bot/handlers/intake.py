"""A support request, step by step: category, description (any media), optional details,
consent, then the case. The draft lives in the person's stored state, so it survives restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot import callbacks as cb
from bot.cases.intake import IntakeForm, Outcome
from bot.casework.service import draft_from_state, open_case
from bot.content.intents import match_choice
from bot.handlers.context import BotContext, pressed_data
from bot.handlers.media import media_of
from bot.handlers.render import answer_query, show, show_in
from bot.ui import cases as case_ui
from bot.ui import menus
from bot.ui.screen import Button, Screen

INTAKE = "intake"


async def _save(context: BotContext, data: dict[str, Any]) -> None:
    person = context.person
    assert person is not None
    await context.services.people.set_state(
        person.user_id, INTAKE, data, update_id=context.update_id
    )
    person.state, person.state_data = INTAKE, data


async def _requests_today(context: BotContext) -> int:
    """Requests opened today: counted in the record that outlives /delete (a person cannot
    reset the daily limit by erasing their data)."""
    services = context.services
    person = context.person
    assert person is not None
    now = services.clock.now()
    if services.abuse is None:
        return await services.cases.opened_since(person.user_id, now - timedelta(days=1))
    return await services.abuse.requests_on(person.user_id, now.date())


async def begin(
    update: Update, context: BotContext, *, item_id: str | None = None, flow_id: str | None = None
) -> None:
    """Start a request, unless one is open (then talk to it) or a limit applies."""
    person = context.person
    if person is None:
        return
    services = context.services
    tr = context.tr
    pack = services.content.pack
    if person.blocked:
        await show(
            update,
            Screen(
                tr._(
                    "You cannot open new requests at the moment. For urgent help, call the numbers "
                    "under “Emergency numbers”."
                )
            ),
        )
        return
    open_row = await services.cases.open_case_of(person.user_id)
    if open_row is not None:
        await show(
            update,
            Screen(
                tr._(
                    "You already have an open request {number}. "
                    "Write here and your message goes to your caseworker.",
                    number=tr.isolate(f"#{open_row.id}"),
                ),
                (
                    (Button("📂 " + tr._("My requests"), cb.Requests("list").pack()),),
                    (Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),
                ),
            ),
        )
        return
    if await _requests_today(context) >= services.settings.max_requests_per_day:
        await show(
            update,
            Screen(
                tr._(
                    "You have sent several requests today. "
                    "Please wait until tomorrow, or write in your last request. "
                    "For urgent help, call the numbers under “Emergency numbers”."
                )
            ),
        )
        return
    about = ""
    flow_answers: list[Any] | None = None
    if item_id and item_id in pack.items:
        about = tr._("About: {title}", title=pack.text(item_id, tr.lang)[0].title)
    if flow_id:
        result = await services.records.latest_flow_result(person.user_id, flow_id)
        flow = services.content.flows.get(flow_id)
        if result and flow:
            import json

            flow_answers = [
                flow_id,
                result["flow_version"],
                json.loads(str(result["answers"])),
                result["outcome"],
            ]
            about = tr._(
                "Your answers to “{title}” will be attached.",
                title=str(flow.texts.title(pack.language_chain(tr.lang))),
            )
    form = IntakeForm.start(item_id=item_id if item_id in pack.items else None, flow=flow_answers)
    await _save(context, form.data)
    await show(update, case_ui.intake_category(pack, tr, about))


async def on_text(update: Update, context: BotContext) -> None:
    """Typed text during intake: description, region, or a word where a button was expected."""
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return
    form = IntakeForm(person.state_data)
    outcome = form.type(message.text or "", lambda text: _typed_category(context, text))
    await _after(update, context, form, outcome, message)


def _typed_category(context: BotContext, text: str) -> str | None:
    """The request category a typed word names ("Документы", "sənəd"), else None."""
    pack = context.services.content.pack
    return match_choice(
        text, {c: pack.label("categories", c, context.tr.lang) for c in pack.categories}
    )


async def on_media(update: Update, context: BotContext) -> None:
    """A photo, document or voice note during intake joins the description."""
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return
    form = IntakeForm(person.state_data)
    await _after(update, context, form, form.media(), message)


async def on_contact(update: Update, context: BotContext) -> None:
    """The person shared their own phone number with the contact button."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or message.contact is None:
        return
    form = IntakeForm(person.state_data)
    own = message.contact.user_id == person.user_id
    outcome = form.contact(message.contact.phone_number, own) if person.state == INTAKE else None
    if outcome is None or outcome.kind == "closed":
        await message.reply_text(
            context.tr._("Thank you. I only use a phone number inside a request."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    await _after(update, context, form, outcome, message)


async def on_button(update: Update, context: BotContext) -> None:
    """i:<step>:<value> buttons of the intake steps."""
    query = update.callback_query
    person = context.person
    if query is None or person is None:
        return
    tr = context.tr
    services = context.services
    pack = services.content.pack
    pressed = pressed_data(update, cb.Intake)
    action, value = (pressed.step, pressed.value) if pressed else ("", "")
    if action == "x":
        await answer_query(update)
        await services.people.set_state(person.user_id, None)
        await show(
            update,
            menus.main_menu(pack, person.audience, tr, notice=tr._("Cancelled. Nothing was sent.")),
        )
        return
    if person.state != INTAKE:
        await answer_query(update, tr._("This request form is no longer open."))
        await show(update, menus.main_menu(pack, person.audience, tr))
        return
    await answer_query(update)
    form = IntakeForm(person.state_data)
    await _after(update, context, form, form.press(action, value, pack.categories), None)


async def _after(
    update: Update, context: BotContext, form: IntakeForm, outcome: Outcome, message: Message | None
) -> None:
    """Save what changed, then show where the form is now (and say what the note says)."""
    tr = context.tr
    if outcome.kind == "describe" and message is not None:
        await _add_part(update, context, form, message)
        return
    if outcome.kind == "submit":
        await _submit(update, context, form)
        return
    screen = _screen(context, form)
    if outcome.kind == "reshow" or screen is None:
        await _reshow(update, context, form)
        return
    if outcome.changed:
        await _save(context, form.data)
    notes = {
        "no_phone": tr._("Fine: no phone number. A caseworker will answer you here in this chat."),
        "phone_saved": tr._("Phone number saved for this request."),
        "not_own_phone": tr._(
            "Please share your own number with the button, not someone else's contact."
        ),
    }
    chat = update.effective_chat
    if outcome.note is not None and chat is not None:
        # Said as a message of its own: it also takes away the phone keyboard.
        await chat.send_message(notes[outcome.note], reply_markup=ReplyKeyboardRemove())
    await show(update, screen, new=outcome.note is not None and message is None)
    if outcome.step == "phone" and chat is not None:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton("📞 " + tr._("Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await chat.send_message(
            tr._("Use the button below, or press “Skip” above."), reply_markup=keyboard
        )


def _screen(context: BotContext, form: IntakeForm) -> Screen | None:
    """The screen of the step the form is at."""
    tr = context.tr
    pack = context.services.content.pack
    screens = {
        "category": lambda: case_ui.intake_category(pack, tr),
        "describe": lambda: case_ui.intake_describe(tr, len(form.parts)),
        "phone": lambda: case_ui.intake_phone(tr),
        "region": lambda: case_ui.intake_region(tr),
        "adults": lambda: case_ui.intake_household(tr, "adults"),
        "children": lambda: case_ui.intake_household(tr, "children"),
        "vuln": lambda: case_ui.intake_vulnerabilities(tr, form.vulnerabilities),
        "consent": lambda: case_ui.intake_consent(
            tr, context.services.settings.retention_closed_days, sorted(form.vulnerabilities)
        ),
    }
    build = screens.get(str(form.step))
    return build() if build is not None else None


async def _add_part(
    update: Update, context: BotContext, form: IntakeForm, message: Message
) -> None:
    tr = context.tr
    kind, file_id = media_of(message)
    text = message.text if kind == "text" else message.caption
    outcome = form.add_part(message.message_id, kind, text, file_id)
    if outcome.kind == "full":
        await show(
            update,
            Screen(
                tr._("That is a lot already: press “Done” to send it, and add more afterwards."),
                case_ui.intake_describe(tr, len(form.parts)).rows,
            ),
        )
        return
    if outcome.kind == "duplicate":
        return  # the same message again (an update replayed after a crash)
    now = context.services.clock.now().timestamp()
    counter = form.acknowledgement(now)
    await _save(context, form.data)
    shown = await show_in(update, counter, case_ui.intake_received(tr, len(form.parts)))
    if shown is not None and form.acknowledged(shown, now):
        await _save(context, form.data)


async def _reshow(update: Update, context: BotContext, form: IntakeForm) -> None:
    """Show the current step again (the person typed where a button was expected)."""
    tr = context.tr
    screen = _screen(context, form)
    if screen is None:
        await context.services.people.set_state(context.person.user_id, None)  # type: ignore[union-attr]
        await show(update, menus.main_menu(context.services.content.pack, None, tr))
        return
    await show(
        update,
        Screen("👆 " + tr._("Please use the buttons.") + "\n\n" + screen.text, screen.rows),
        new=True,
    )


async def _submit(update: Update, context: BotContext, form: IntakeForm) -> None:
    person = context.person
    assert person is not None
    services = context.services
    now = services.clock.now()
    await services.people.give_consent(person.user_id, "request", "1", now)
    draft = draft_from_state(person.user_id, context.tr.lang, person.audience, form.data)
    case_id = await open_case(services, draft, update.update_id)
    person.state, person.state_data = None, {}
    row = await services.cases.get(case_id)
    priority = row.record.priority if row else 1
    hours = services.settings.first_response_hours[min(priority, 2)]
    await show(update, case_ui.intake_sent(context.tr, case_id, hours))
