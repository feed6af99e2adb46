"""Case card buttons: claim, assign, status, priority, services, outcome — each re-checked."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import callbacks as cb
from bot.cases import lifecycle
from bot.cases.actions import UNASSIGN, card_mutation, named_assignee
from bot.casework.service import change, resend_card, staff_tr
from bot.handlers.context import BotContext, pressed_data
from bot.handlers.render import answer_query, markup, pressed_message
from bot.handlers.staff.access import staff_press_actor
from bot.handlers.staff.relay import cancel_canned_reply, send_canned_reply
from bot.numbers import parse_case_id
from bot.storage.cases import CaseRow
from bot.ui import cases as case_ui
from bot.ui.screen import Button, Screen


async def on_card_button(update: Update, context: BotContext) -> None:
    """c:<case>:<action>[:<value>] from a case card in the staff chat."""
    query = update.callback_query
    if query is None:
        return
    services = context.services
    tr = staff_tr(services)
    # Rights first, before anything about the case is read (callback data is client-supplied).
    actor = await staff_press_actor(update, context)
    if actor is None or actor.user_id is None:
        return
    pressed = pressed_data(update, cb.Card)
    case_id = parse_case_id(str(pressed.case)) if pressed else None
    action, value = (pressed.action, pressed.value) if pressed else ("", "")
    row = await services.cases.get(case_id) if case_id is not None else None
    if row is None or row.status == "deleted":
        await answer_query(update, tr._("This case no longer exists."), alert=True)
        return
    if action == "rp":
        await send_canned_reply(update, context, row, value, actor)
        return
    if action == "rpx":
        await cancel_canned_reply(update, context)
        return
    if action in ("main", "status", "prio", "svc", "out", "assign"):
        await answer_query(update)
        await _show_view(update, context, row, action)
        return
    if action == "as" and value != UNASSIGN:
        assignee = named_assignee(action, value)
        if assignee is None or not await _is_caseworker(context, assignee):
            await answer_query(
                update, tr._("Only a current caseworker can be assigned."), alert=True
            )
            return
    mutate = card_mutation(action, value, actor_id=actor.user_id, now=services.clock.now())
    if mutate is None:
        await answer_query(update)
        return
    try:
        changed = await change(
            services,
            row,
            mutate,
            actor_id=actor.user_id,
            action=f"{action}:{value}" if value else action,
            detail=None,
            dedupe=f"u:{update.update_id}",
            view="svc" if action == "sv" else "main",
        )
    except lifecycle.AlreadyClaimed as exc:
        name = services.require_staff().names.get(exc.assignee_id, str(exc.assignee_id))
        await answer_query(update, tr._("Already claimed by {name}.", name=name), alert=True)
        return
    except lifecycle.CaseError:
        await answer_query(
            update, tr._("That change is not possible in the case's current status."), alert=True
        )
        return
    await answer_query(update, tr._("Saved.") if changed is not None else None)


async def _is_caseworker(context: BotContext, user_id: int) -> bool:
    """Someone who may hold a case: a current member of the staff chat, not a bot."""
    staff = context.services.require_staff()
    return user_id != context.bot.id and await staff.is_member(user_id)


async def _show_view(update: Update, context: BotContext, row: CaseRow, view: str) -> None:
    """Open a sub-menu of the card in place."""
    query = update.callback_query
    assert query is not None
    tr = staff_tr(context.services)
    case_id = row.id
    if pressed_message(update) is None:
        # The card is one the bot can no longer see (Telegram sends date 0): a fresh one.
        await resend_card(context.services, row, f"u:{update.update_id}:card", view)
        return
    if view == "assign":
        names = context.services.require_staff().names
        buttons = [
            Button(name, cb.Card(case_id, "as", str(uid)).pack())
            for uid, name in sorted(names.items(), key=lambda kv: kv[1])
        ][:20]
        buttons.append(
            Button(tr._("Nobody (back to the queue)"), cb.Card(case_id, "as", "-").pack())
        )
        rows: tuple[tuple[Button, ...], ...] = (
            *((b,) for b in buttons),
            (Button("⬅️ " + tr._("Back"), cb.Card(case_id, "main").pack()),),
        )
    else:
        assignee = row.record.assignee_id
        name = (
            context.services.require_staff().names.get(assignee) or f"id {assignee}"
            if assignee is not None
            else None
        )
        rows = case_ui.card_buttons(
            case_id, tr, view, row.status, assignee=name, services=row.record.services
        )
    keyboard = markup(Screen("", rows)) or InlineKeyboardMarkup(
        [[InlineKeyboardButton("·", callback_data=cb.Noop().pack())]]
    )
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
