"""Case card buttons: claim, assign, status, priority, services, outcome — each re-checked."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.cases import lifecycle
from bot.cases.model import OUTCOMES, SERVICES, STATUSES
from bot.casework.service import change, staff_tr
from bot.handlers.context import BotContext
from bot.handlers.render import answer_query, markup
from bot.handlers.staff.access import staff_actor
from bot.handlers.staff.relay import cancel_canned_reply, send_canned_reply
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
    actor = await staff_actor(update, context)
    if actor is None or actor.user_id is None:
        await answer_query(update, tr._("Only current caseworkers can do this."), alert=True)
        return
    parts = (query.data or "").split(":")
    case_id = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    action = parts[2] if len(parts) > 2 else ""
    value = parts[3] if len(parts) > 3 else ""
    row = await services.cases.get(case_id)
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
    now = services.clock.now()
    record = row.record
    try:
        if action == "claim":
            record = lifecycle.claim(record, actor.user_id, now)
        elif action == "as":
            record = lifecycle.assign(record, int(value) if value.lstrip("-").isdigit() and value != "-" else None, now)
        elif action == "st" and value in STATUSES and value != "deleted":
            record = lifecycle.transition(record, value, now)
        elif action == "pr" and value in {"0", "1", "2"}:
            record = lifecycle.set_priority(record, int(value))
        elif action == "sv" and value in SERVICES:
            record = lifecycle.toggle_service(record, value)
        elif action == "oc" and value in OUTCOMES:
            record = lifecycle.set_outcome(record, value)
        else:
            await answer_query(update)
            return
    except lifecycle.AlreadyClaimed as exc:
        name = services.staff.names.get(exc.assignee_id, str(exc.assignee_id))
        await answer_query(update, tr._("Already claimed by {name}.", name=name), alert=True)
        return
    except lifecycle.CaseError:
        await answer_query(update, tr._("That change is not possible in the case's current status."), alert=True)
        return
    if record == row.record:
        await answer_query(update)
        return
    await change(services, row, record, actor_id=actor.user_id, action=f"{action}:{value}" if value else action,
                 detail=None, dedupe=f"u:{update.update_id}", view="svc" if action == "sv" else "main")
    await answer_query(update, tr._("Saved."))


async def _show_view(update: Update, context: BotContext, row: CaseRow, view: str) -> None:
    """Open a sub-menu of the card in place."""
    query = update.callback_query
    assert query is not None
    tr = staff_tr(context.services)
    case_id = row.id
    if view == "assign":
        names = context.services.staff.names
        buttons = [Button(name, f"c:{case_id}:as:{uid}") for uid, name in sorted(names.items(), key=lambda kv: kv[1])][:20]
        buttons.append(Button(tr._("Nobody (back to the queue)"), f"c:{case_id}:as:-"))
        rows: tuple[tuple[Button, ...], ...] = (
            *((b,) for b in buttons),
            (Button("⬅️ " + tr._("Back"), f"c:{case_id}:main"),),
        )
    else:
        assignee = row.record.assignee_id
        name = context.services.staff.names.get(assignee) or f"id {assignee}" if assignee is not None else None
        rows = case_ui.card_buttons(case_id, tr, view, row.status, assignee=name, services=row.record.services)
    keyboard = markup(Screen("", rows)) or InlineKeyboardMarkup([[InlineKeyboardButton("·", callback_data="noop")]])
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
