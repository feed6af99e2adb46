"""Staff commands: /queue, /mine, /case, /find, /report; admins: /audit, /block, /unblock, /reload."""

from __future__ import annotations

from telegram import Update

from bot.cases.report import build_report
from bot.casework.service import render_card, staff_tr
from bot.handlers.context import BotContext
from bot.handlers.staff.access import Actor, is_admin, staff_actor
from bot.ui import staff as staff_ui
from bot.ui.screen import fit

QUEUE_PAGE = 25


async def _reply(update: Update, html: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_html(html, disable_web_page_preview=True, do_quote=False)


async def _actor_or_silence(update: Update, context: BotContext) -> Actor | None:
    """Staff commands answer only staff: anyone else gets the same as an unknown command."""
    actor = await staff_actor(update, context)
    if actor is None and update.effective_chat is not None and update.effective_chat.type == "private":
        await _reply(update, context.tr._("I don't know that command. Send /help to see what I can do."))
    return actor


async def _admin_or_refuse(update: Update, context: BotContext, refusal: str) -> Actor | None:
    """The actor if they are an admin; staff who are not get `refusal`, others nothing."""
    actor = await _actor_or_silence(update, context)
    if actor is None:
        return None
    if not is_admin(context, actor):
        await _reply(update, refusal)
        return None
    return actor


async def queue_command(update: Update, context: BotContext) -> None:
    """/queue — open cases: unclaimed first, then by priority, then age."""
    if await _actor_or_silence(update, context) is None:
        return
    services = context.services
    tr = staff_tr(services)
    rows = await services.cases.queue(QUEUE_PAGE)
    total = await services.cases.count_open()
    await _reply(update, staff_ui.queue(rows, total, tr._("Open cases"), tr, services.content.pack,
                                        services.clock.now(), services.staff.names))


async def mine_command(update: Update, context: BotContext) -> None:
    """/mine — open cases assigned to me."""
    actor = await _actor_or_silence(update, context)
    if actor is None or actor.user_id is None:
        return
    services = context.services
    tr = staff_tr(services)
    rows = await services.cases.queue(QUEUE_PAGE, assignee_id=actor.user_id)
    unclaimed = await services.cases.count_unclaimed()
    await _reply(update, staff_ui.queue(rows, len(rows), tr._("My cases"), tr, services.content.pack,
                                        services.clock.now(), services.staff.names, unclaimed=unclaimed))


async def case_command(update: Update, context: BotContext) -> None:
    """/case 123 — the case card, its description and last messages."""
    actor = await _actor_or_silence(update, context)
    if actor is None:
        return
    services = context.services
    tr = staff_tr(services)
    arg = " ".join(context.args or []).strip().lstrip("#")
    row = await services.cases.get(int(arg)) if arg.isdigit() else None
    if row is None:
        await _reply(update, tr._("No such case. Use /case NUMBER, e.g. /case 12."))
        return
    await services.records.audit(actor.audit_id, "view", row.id, services.clock.now())
    phone = None
    if row.user_id is not None:
        person = await services.people.get(row.user_id)
        phone = person.phone if person else None
    card, _markup = render_card(services, row, phone=phone)
    messages = await services.cases.messages(row.id)
    await _reply(update, staff_ui.case_summary(row, messages, tr, card))


async def find_command(update: Update, context: BotContext) -> None:
    """/find text — cases whose description or messages contain the text."""
    actor = await _actor_or_silence(update, context)
    if actor is None:
        return
    services = context.services
    tr = staff_tr(services)
    needle = " ".join(context.args or []).strip()
    if len(needle) < 2:
        await _reply(update, tr._("Use /find WORDS, e.g. /find passport."))
        return
    rows = await services.cases.find(needle)
    await services.records.audit(actor.audit_id, "find", None, services.clock.now())
    await _reply(update, staff_ui.queue(rows, len(rows), tr._("Found"), tr, services.content.pack,
                                        services.clock.now(), services.staff.names))


async def report_command(update: Update, context: BotContext) -> None:
    """/report — the summary in the shape of the RESTART report."""
    if await _actor_or_silence(update, context) is None:
        return
    services = context.services
    records = [r async for r in services.cases.iter_records_fast()]
    rep = build_report(records)
    feedback = await services.records.feedback_counts()
    text = staff_ui.report(rep, staff_tr(services), services.content.pack)
    if feedback:
        tr = staff_tr(services)
        lines = ["", "<b>" + tr._("Answers rated (👍/👎)") + "</b>"]
        lines += [f"  {item}: {up}/{down}" for item, up, down in feedback[:10]]
        text = fit([*text.split("\n"), *lines])
    await _reply(update, text)


async def audit_command(update: Update, context: BotContext) -> None:
    """/audit 123 — who did what to a case (admins only)."""
    services = context.services
    tr = staff_tr(services)
    if await _admin_or_refuse(update, context, tr._("Only admins can see the audit log.")) is None:
        return
    arg = " ".join(context.args or []).strip().lstrip("#")
    if not arg.isdigit():
        await _reply(update, tr._("Use /audit NUMBER."))
        return
    entries = await services.records.audit_for(int(arg))
    await _reply(update, staff_ui.audit(int(arg), entries, tr, services.staff.names))


async def block_command(update: Update, context: BotContext) -> None:
    """/block 123 or /unblock 123 — stop or allow the person behind a case (staff)."""
    actor = await _actor_or_silence(update, context)
    if actor is None:
        return
    services = context.services
    tr = staff_tr(services)
    message = update.effective_message
    block = bool(message and (message.text or "").lstrip("/").lower().startswith("block"))
    arg = " ".join(context.args or []).strip().lstrip("#")
    row = await services.cases.get(int(arg)) if arg.isdigit() else None
    if row is None or row.user_id is None:
        await _reply(update, tr._("No such case, or its person was deleted. Use /block NUMBER."))
        return
    await services.people.set_blocked(row.user_id, block)
    await services.records.audit(actor.audit_id, "block" if block else "unblock", row.id, services.clock.now())
    text = (tr._("The person behind case #{number} is blocked: no new requests, messages not relayed.", number=row.id)
            if block else tr._("The person behind case #{number} is unblocked.", number=row.id))
    await _reply(update, text)


async def reload_command(update: Update, context: BotContext) -> None:
    """/reload — load the content pack again without a restart (admins only)."""
    services = context.services
    tr = staff_tr(services)
    actor = await _admin_or_refuse(update, context, tr._("Only admins can reload the content."))
    if actor is None:
        return
    from bot.app import reload_content
    from bot.content.problems import PackError

    try:
        bundle = reload_content(services)
    except PackError as exc:
        problems = "\n".join(str(p) for p in exc.problems[:10])
        await _reply(update, tr._("The content has errors; the old version stays:") + f"\n<pre>{staff_ui.esc(problems)}</pre>")
        return
    await services.records.audit(actor.audit_id, "reload", None, services.clock.now())
    await _reply(update, tr._("Content reloaded: version {version}.", version=bundle.version))

