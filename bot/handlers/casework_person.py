"""The person's side of a case: messages to their caseworker, their list, adding, closing,
rating."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as cb
from bot.cases import lifecycle
from bot.cases.model import CaseRecord
from bot.casework.service import (
    change,
    post_to_case,
    relay_from_person,
    save_rating_comment,
    staff_tr,
)
from bot.handlers.context import BotContext, leave_step, pressed_data
from bot.handlers.intake import begin
from bot.handlers.media import media_of
from bot.handlers.render import answer_query, show
from bot.numbers import parse_case_id, parse_int
from bot.storage.cases import CaseRow
from bot.ui import cases as case_ui
from bot.ui import menus
from bot.ui import search as search_ui
from bot.ui.screen import Button, Screen, esc

COMMENT = "case:comment"
ADD = "case:add"


async def relay_if_open_case(update: Update, context: BotContext) -> bool:
    """If the person has a case to talk to, relay the message there and say so; else False.

    A closed case is not one: its person's next message is a new question, answered with
    the choice to reopen it or start a new request (see `closed_case`), never relayed.
    """
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return False
    services = context.services
    row = await services.cases.latest_of(person.user_id)
    if row is None or lifecycle.person_wrote(row.record, services.clock.now()) is None:
        return False
    if person.blocked:
        await show(
            update,
            Screen(
                context.tr._(
                    "Your messages cannot be passed to a caseworker at the moment. "
                    "For urgent help, call the numbers under “Emergency numbers”."
                )
            ),
        )
        return True
    if row.status == "closed":
        return False
    await _relay(update, context, row)
    return True


async def closed_case(context: BotContext) -> tuple[int, bool] | None:
    """(case id, can be reopened) if the person's latest request ended recently, else None."""
    person = context.person
    if person is None:
        return None
    services = context.services
    row = await services.cases.latest_of(person.user_id)
    if row is None or lifecycle.is_open(row.record) or row.deleted_at is not None:
        return None
    now = services.clock.now()
    if not lifecycle.should_reopen(row.record, now):
        return None
    return row.id, row.status == "closed" and not person.blocked


async def _relay(update: Update, context: BotContext, row: CaseRow) -> None:
    message = update.effective_message
    assert message is not None
    kind, file_id = media_of(message)
    text = message.text if kind == "text" else message.caption
    relayed = await relay_from_person(
        context.services, row, message.message_id, kind, text, file_id, update.update_id
    )
    tr = context.tr
    if relayed is None:  # erased meanwhile: nothing went anywhere
        await show(
            update,
            Screen(
                tr._(
                    "This request no longer exists. Start a new one from the menu if you need help."
                )
            ),
        )
        return
    await message.reply_text(
        tr._("Sent to your caseworker (request {number}).", number=tr.isolate(f"#{row.id}")),
        do_quote=False,
    )
    intent = context.services.content.intents.match(text or "")
    if intent is not None and intent.reply == "emergency":
        # The caseworker may read it hours later: the numbers cannot wait for them.
        await show(update, search_ui.emergency(context.services.content.pack, (), tr))


async def on_state_text(update: Update, context: BotContext) -> None:
    """Typed text in a case step: a rating comment, or an addition to a chosen case."""
    person = context.person
    message = update.effective_message
    if person is None or message is None:
        return
    services = context.services
    case_id = int(person.state_data.get("case", 0))
    row = await services.cases.get(case_id)
    if row is None or row.user_id != person.user_id:
        await leave_step(context)
        await show(update, menus.main_menu(services.content.pack, person.audience, context.tr))
        return
    if person.state == COMMENT:
        await show(
            update,
            menus.main_menu(
                services.content.pack,
                person.audience,
                context.tr,
                notice=context.tr._("Thank you for your feedback!"),
            ),
        )
        # Last, and in one transaction: the comment and the end of the step (a replay after
        # a crash is then recognised by the person's last_update_id and skipped).
        comment = (message.text or "")[:1000]
        await save_rating_comment(services, row, comment, update.update_id)
        return
    await leave_step(context)
    await _relay(update, context, row)


async def on_state_media(update: Update, context: BotContext) -> None:
    """Media while adding to a case is relayed; while commenting, it is not expected."""
    person = context.person
    if person is None:
        return
    row = await context.services.cases.get(int(person.state_data.get("case", 0)))
    adding = person.state == ADD
    await leave_step(context)
    if adding and row is not None and row.user_id == person.user_id:
        await _relay(update, context, row)
    else:
        await show(update, Screen(context.tr._("Thank you. Please write your comment as text.")))


async def requests_command(update: Update, context: BotContext) -> None:
    """/requests lists the person's requests and their status."""
    person = context.person
    if person is None:
        return
    rows = await context.services.cases.cases_of(person.user_id)
    await show(update, case_ui.my_requests(rows, context.tr, context.services.content.pack))


async def _reopen(update: Update, context: BotContext, row: CaseRow) -> None:
    """The person chose to reopen their closed request: their caseworker is told."""
    services = context.services
    tr = context.tr
    person = context.person
    assert person is not None
    now = services.clock.now()
    if person.blocked or row.status != "closed" or not lifecycle.should_reopen(row.record, now):
        await answer_query(
            update,
            tr._("This request cannot be reopened any more. Please start a new one."),
            alert=True,
        )
        return
    await answer_query(update)
    if (
        await change(
            services,
            row,
            lambda r: lifecycle.reopen(r, now),
            actor_id=None,
            action="reopened_by_person",
            detail=None,
            dedupe=f"u:{update.update_id}",
            notify_person=False,
        )
        is None
    ):
        await answer_query(
            update,
            tr._("This request cannot be reopened any more. Please start a new one."),
            alert=True,
        )
        return
    await post_to_case(
        services,
        row,
        "🔁 " + staff_tr(services)._("The person reopened this request."),
        f"u:{update.update_id}:reopen-note",
    )
    await show(
        update,
        Screen(
            tr._(
                "Request {number} is open again. Write your message here: "
                "it goes to your caseworker.",
                number=tr.isolate(f"#{row.id}"),
            ),
            (
                (
                    Button("📂 " + tr._("My requests"), cb.Requests("list").pack()),
                    Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),
                ),
            ),
        ),
    )


async def on_button(update: Update, context: BotContext) -> None:
    """r:new[:item] · r:flow · r:list · r:reopen|add|close|closeok:<id> · r:rate:<id>:<n>."""
    query = update.callback_query
    person = context.person
    if query is None or person is None:
        return
    pressed = pressed_data(update, cb.Requests)
    action = pressed.action if pressed else ""
    target = pressed.target if pressed else ""
    services = context.services
    tr = context.tr
    if action == "new":
        await answer_query(update)
        await begin(update, context, item_id=target or None)
        return
    if action == "flow":
        await answer_query(update)
        await begin(update, context, flow_id=target or None)
        return
    if action == "list":
        await answer_query(update)
        rows = await services.cases.cases_of(person.user_id)
        await show(update, case_ui.my_requests(rows, tr, services.content.pack))
        return
    case_id = parse_case_id(target)
    row = await services.cases.get(case_id) if case_id is not None else None
    if row is None or row.user_id != person.user_id:
        # Callback data is client-supplied: never act on someone else's case.
        await answer_query(update, tr._("This request is not available."), alert=True)
        return
    if action == "reopen":
        await _reopen(update, context, row)
    elif action == "add":
        await answer_query(update)
        await services.people.set_state(
            person.user_id, ADD, {"case": row.id}, update_id=update.update_id
        )
        await show(
            update,
            Screen(
                tr._(
                    "Write your message, or send a photo or document, for request {number}.",
                    number=tr.isolate(f"#{row.id}"),
                ),
                ((Button("✖️ " + tr._("Cancel"), cb.Menu().pack()),),),
            ),
        )
    elif action == "close":
        await answer_query(update)
        await show(
            update,
            Screen(
                tr._(
                    "Close request {number}? Your caseworker will be told.",
                    number=tr.isolate(f"#{row.id}"),
                ),
                (
                    (
                        Button(
                            "✅ " + tr._("Yes, close it"),
                            cb.Requests("closeok", str(row.id)).pack(),
                        ),
                        Button("✖️ " + tr._("No"), cb.Requests("list").pack()),
                    ),
                ),
            ),
        )
    elif action == "closeok":
        await answer_query(update)
        now = services.clock.now()

        def close(record: CaseRecord) -> CaseRecord:
            return (
                lifecycle.transition(record, "closed", now) if lifecycle.is_open(record) else record
            )

        if (
            await change(
                services,
                row,
                close,
                actor_id=None,
                action="closed_by_person",
                detail=None,
                dedupe=f"u:{update.update_id}",
                notify_person=False,
            )
            is not None
        ):
            await post_to_case(
                services,
                row,
                "🏁 " + staff_tr(services)._("The person closed this request."),
                f"u:{update.update_id}:closed-note",
            )
        await show(update, case_ui.rating_request(tr, row.id))
    elif action == "rate":
        value = (parse_int(pressed.value, low=1, high=5) if pressed else None) or 0
        if row.record.rating is not None or value not in range(1, 6):
            await answer_query(update, tr._("Thank you, your rating is already saved."))
            return
        try:
            rated = await change(
                services,
                row,
                lambda r: r if r.rating is not None else lifecycle.set_rating(r, value),
                actor_id=None,
                action="rated_by_person",
                detail=None,
                dedupe=f"u:{update.update_id}",
                notify_person=False,
            )
        except lifecycle.CaseError:
            await answer_query(
                update, tr._("You can rate a request once it is resolved or closed.")
            )
            return
        if rated is None:
            await answer_query(update, tr._("Thank you, your rating is already saved."))
            return
        await answer_query(update, tr._("Thank you!"))
        await post_to_case(
            services,
            row,
            esc(
                staff_tr(services)._(
                    "The person rated the help: {stars} ({rating} of 5).",
                    stars="⭐" * value,
                    rating=value,
                )
            ),
            f"u:{update.update_id}:rating",
        )
        await services.people.set_state(
            person.user_id, COMMENT, {"case": row.id}, update_id=update.update_id
        )
        await show(
            update,
            Screen(
                tr._("Thank you! Would you like to add a comment? Type it, or press “Skip”."),
                ((Button("➡️ " + tr._("Skip"), cb.Menu().pack()),),),
            ),
        )
    else:
        await answer_query(update)
