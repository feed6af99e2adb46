"""A support request, step by step: category, description (any media), optional details,
consent, then the case. The draft lives in the person's stored state, so it survives restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot import callbacks as cb
from bot.casework.service import draft_from_state, open_case
from bot.content.intents import match_choice
from bot.handlers.context import BotContext, pressed_data
from bot.handlers.render import answer_query, show, show_in
from bot.numbers import parse_int
from bot.ui import cases as case_ui
from bot.ui import menus
from bot.ui.screen import Button, Screen

INTAKE = "intake"
MAX_PARTS = 30
MAX_TEXT = 20_000
ACK_BURST_SECONDS = 120  # messages this close together share one "Received N" counter
MAX_HOUSEHOLD = 30  # typed household counts above this are taken for a typo


def media_of(message: Message) -> tuple[str, str | None]:
    """The kind of a message and the file id Telegram gave it (None for text).

    "other" is what Telegram cannot copy into the staff chat (service messages such as a
    pin or web-app data, stories, games, invoices, giveaways, paid media): it is described
    to the caseworker instead.
    """
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in ("voice", "document", "video", "audio", "video_note", "sticker", "animation"):
        media = getattr(message, kind, None)
        if media is not None:
            return kind, media.file_id
    if message.poll is not None and message.poll.type == "quiz":
        return "other", None  # Telegram copies a quiz only if the bot knows its answer
    for kind in ("venue", "location", "contact", "poll", "dice"):  # venue before location
        if getattr(message, kind, None) is not None:
            return kind, None
    if message.text is not None:
        return "text", None
    return "other", None


async def _save(context: BotContext, data: dict[str, Any]) -> None:
    person = context.person
    assert person is not None
    await context.services.people.set_state(person.user_id, INTAKE, data, update_id=context.update_id)
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


async def begin(update: Update, context: BotContext, *, item_id: str | None = None, flow_id: str | None = None) -> None:
    """Start a request, unless one is open (then talk to it) or a limit applies."""
    person = context.person
    if person is None:
        return
    services = context.services
    tr = context.tr
    pack = services.content.pack
    if person.blocked:
        await show(update, Screen(tr._(
            "You cannot open new requests at the moment. For urgent help, call the numbers "
            "under “Emergency numbers”.")))
        return
    open_row = await services.cases.open_case_of(person.user_id)
    if open_row is not None:
        await show(update, Screen(
            tr._("You already have an open request {number}. Write here and your message goes to your "
                 "caseworker.", number=tr.isolate(f"#{open_row.id}")),
            ((Button("📂 " + tr._("My requests"), cb.Requests("list").pack()),), (Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),)),
        ))
        return
    if await _requests_today(context) >= services.settings.max_requests_per_day:
        await show(update, Screen(tr._(
            "You have sent several requests today. Please wait until tomorrow, or write in your "
            "last request. For urgent help, call the numbers under “Emergency numbers”.")))
        return
    data: dict[str, Any] = {"step": "category", "parts": []}
    about = ""
    if item_id and item_id in pack.items:
        data["item"] = item_id
        about = tr._("About: {title}", title=pack.text(item_id, tr.lang)[0].title)
    if flow_id:
        result = await services.records.latest_flow_result(person.user_id, flow_id)
        flow = services.content.flows.get(flow_id)
        if result and flow:
            import json

            data["flow"] = [flow_id, result["flow_version"], json.loads(str(result["answers"])), result["outcome"]]
            about = tr._("Your answers to “{title}” will be attached.",
                         title=str(flow.texts.title(pack.language_chain(tr.lang))))
    await _save(context, data)
    await show(update, case_ui.intake_category(pack, tr, about))


async def on_text(update: Update, context: BotContext) -> None:
    """Typed text during intake: description, region, or a word where a button was expected."""
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return
    data = dict(person.state_data)
    step = data.get("step")
    tr = context.tr
    typed = message.text or ""
    if step == "describe":
        await _add_part(update, context, data, message)
    elif step == "category" and (category := _typed_category(context, typed)) is not None:
        data.update(category=category, step="describe")
        await _save(context, data)
        await show(update, case_ui.intake_describe(tr, 0))
    elif step in ("adults", "children") and (count := _typed_count(typed, step)) is not None:
        data[step] = count
        data["step"] = "children" if step == "adults" else "vuln"
        await _save(context, data)
        if step == "adults":
            await show(update, case_ui.intake_household(tr, "children"))
        else:
            await show(update, case_ui.intake_vulnerabilities(tr, set(data.get("vuln", []))))
    elif step == "region":
        data["region"] = (message.text or "").strip()[:100] or None
        data["step"] = "adults"
        await _save(context, data)
        await show(update, case_ui.intake_household(tr, "adults"))
    elif step == "phone":
        # Phone numbers are taken only through Telegram's button: a typed reply means "skip".
        data["step"] = "region"
        await _save(context, data)
        await message.reply_text(tr._("Fine: no phone number. A caseworker will answer you here in this chat."),
                                 reply_markup=ReplyKeyboardRemove())
        await show(update, case_ui.intake_region(tr))
    else:
        await _reshow(update, context, data)


def _typed_count(text: str, step: str) -> int | None:
    """A household count typed instead of pressed ("2", "۲"), within reason, else None."""
    return parse_int(text.strip().rstrip("+"), low=1 if step == "adults" else 0, high=MAX_HOUSEHOLD)


def _typed_category(context: BotContext, text: str) -> str | None:
    """The request category a typed word names ("Документы", "sənəd"), else None."""
    pack = context.services.content.pack
    return match_choice(text, {c: pack.label("categories", c, context.tr.lang) for c in pack.categories})


async def on_media(update: Update, context: BotContext) -> None:
    """A photo, document or voice note during intake joins the description."""
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return
    data = dict(person.state_data)
    if data.get("step") == "describe":
        await _add_part(update, context, data, message)
    else:
        await _reshow(update, context, data)


async def on_contact(update: Update, context: BotContext) -> None:
    """The person shared their own phone number with the contact button."""
    person = context.person
    message = update.effective_message
    if person is None or message is None or message.contact is None:
        return
    data = dict(person.state_data)
    tr = context.tr
    if person.state != INTAKE or data.get("step") != "phone":
        await message.reply_text(tr._("Thank you. I only use a phone number inside a request."),
                                 reply_markup=ReplyKeyboardRemove())
        return
    if message.contact.user_id == person.user_id:
        data["phone"] = message.contact.phone_number[:32]
        note = tr._("Phone number saved for this request.")
    else:
        note = tr._("Please share your own number with the button, not someone else's contact.")
    data["step"] = "region"
    await _save(context, data)
    await message.reply_text(note, reply_markup=ReplyKeyboardRemove())
    await show(update, case_ui.intake_region(tr))


async def _add_part(update: Update, context: BotContext, data: dict[str, Any], message: Message) -> None:
    parts = list(data.get("parts", []))
    tr = context.tr
    used = sum(len(p.get("t") or "") for p in parts)
    if len(parts) >= MAX_PARTS or used >= MAX_TEXT:
        await show(update, Screen(tr._("That is a lot already: press “Done” to send it, and add more afterwards."),
                                  case_ui.intake_describe(tr, len(parts)).rows))
        return
    if any(p.get("m") == message.message_id for p in parts):
        return  # the same message again (an update replayed after a crash)
    kind, file_id = media_of(message)
    text = message.text if kind == "text" else message.caption
    parts.append({"m": message.message_id, "k": kind, "t": text, "f": file_id})
    data["parts"] = parts
    now = context.services.clock.now()
    # One acknowledgement per burst: the counter is edited while messages keep coming, and
    # sent anew only after a pause (an edit far up the chat would go unseen).
    ack = data.get("ack")
    counter = None
    if isinstance(ack, list) and len(ack) == 2 and now.timestamp() - float(ack[1]) < ACK_BURST_SECONDS:
        counter = ack[0]
    data["ack"] = [counter, now.timestamp()]
    await _save(context, data)
    shown = await show_in(update, counter, case_ui.intake_received(tr, len(parts)))
    if shown is not None and shown != counter:
        data["ack"] = [shown, now.timestamp()]
        await _save(context, data)


async def _reshow(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    """Show the current step again (the person typed where a button was expected)."""
    tr = context.tr
    pack = context.services.content.pack
    step = data.get("step")
    screens = {
        "category": lambda: case_ui.intake_category(pack, tr),
        "describe": lambda: case_ui.intake_describe(tr, len(data.get("parts", []))),
        "phone": lambda: case_ui.intake_phone(tr),
        "region": lambda: case_ui.intake_region(tr),
        "adults": lambda: case_ui.intake_household(tr, "adults"),
        "children": lambda: case_ui.intake_household(tr, "children"),
        "vuln": lambda: case_ui.intake_vulnerabilities(tr, set(data.get("vuln", []))),
        "consent": lambda: case_ui.intake_consent(tr, context.services.settings.retention_closed_days,
                                                  data.get("vuln", [])),
    }
    build = screens.get(str(step))
    if build is None:
        await context.services.people.set_state(context.person.user_id, None)  # type: ignore[union-attr]
        await show(update, menus.main_menu(pack, None, tr))
        return
    screen = build()
    await show(update, Screen("👆 " + tr._("Please use the buttons.") + "\n\n" + screen.text, screen.rows), new=True)


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
        await show(update, menus.main_menu(pack, person.audience, tr, notice=tr._("Cancelled. Nothing was sent.")))
        return
    if person.state != INTAKE:
        await answer_query(update, tr._("This request form is no longer open."))
        await show(update, menus.main_menu(pack, person.audience, tr))
        return
    data = dict(person.state_data)
    step = data.get("step")
    await answer_query(update)
    if action == "cat" and step == "category" and value in pack.categories:
        data.update(category=value, step="describe")
        await _save(context, data)
        await show(update, case_ui.intake_describe(tr, 0))
    elif action == "done" and step == "describe" and data.get("parts"):
        data["step"] = "phone"
        await _save(context, data)
        await show(update, case_ui.intake_phone(tr))
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton("📞 " + tr._("Share my phone number"), request_contact=True)]],
            resize_keyboard=True, one_time_keyboard=True,
        )
        if update.effective_chat:
            await update.effective_chat.send_message(tr._("Use the button below, or press “Skip” above."),
                                                     reply_markup=keyboard)
    elif action == "phone" and step == "phone":
        data["step"] = "region"
        await _save(context, data)
        if update.effective_chat:
            await update.effective_chat.send_message(
                tr._("Fine: no phone number. A caseworker will answer you here in this chat."),
                reply_markup=ReplyKeyboardRemove())
        await show(update, case_ui.intake_region(tr), new=True)
    elif action == "region" and step == "region":
        data["step"] = "adults"
        await _save(context, data)
        await show(update, case_ui.intake_household(tr, "adults"))
    elif action in ("adults", "children") and step == action:
        data[action] = parse_int(value, high=MAX_HOUSEHOLD)
        data["step"] = "children" if action == "adults" else "vuln"
        await _save(context, data)
        if action == "adults":
            await show(update, case_ui.intake_household(tr, "children"))
        else:
            await show(update, case_ui.intake_vulnerabilities(tr, set(data.get("vuln", []))))
    elif action == "v" and step == "vuln":
        chosen = set(data.get("vuln", []))
        if value == "done":
            data["step"] = "consent"
            await _save(context, data)
            await show(update, case_ui.intake_consent(tr, services.settings.retention_closed_days, data.get("vuln", [])))
            return
        from bot.cases.model import VULNERABILITIES

        if value in VULNERABILITIES:
            chosen ^= {value}
        data["vuln"] = sorted(chosen)
        await _save(context, data)
        await show(update, case_ui.intake_vulnerabilities(tr, chosen))
    elif action == "ok" and step == "consent":
        await _submit(update, context, data)
    else:
        await _reshow(update, context, data)


async def _submit(update: Update, context: BotContext, data: dict[str, Any]) -> None:
    person = context.person
    assert person is not None
    services = context.services
    now = services.clock.now()
    await services.people.give_consent(person.user_id, "request", "1", now)
    draft = draft_from_state(person.user_id, context.tr.lang, person.audience, data)
    case_id = await open_case(services, draft, update.update_id)
    person.state, person.state_data = None, {}
    row = await services.cases.get(case_id)
    priority = row.record.priority if row else 1
    hours = services.settings.first_response_hours[min(priority, 2)]
    await show(update, case_ui.intake_sent(context.tr, case_id, hours))
