"""Staff commands: /queue, /mine, /case, /find, /report; admins: /audit, /block, /unblock,
/reload."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.cases.report import build_report
from bot.casework.service import render_card, staff_tr
from bot.handlers.context import BotContext
from bot.handlers.staff.access import Actor, staff_command
from bot.i18n import N_
from bot.numbers import parse_case_id
from bot.ui import staff as staff_ui
from bot.ui.screen import fit

QUEUE_PAGE = 25


async def _reply(update: Update, html: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_html(html, disable_web_page_preview=True, do_quote=False)


@staff_command()
async def queue_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/queue — open cases: unclaimed first, then by priority, then age."""
    services = context.services
    tr = staff_tr(services)
    rows = await services.cases.queue(QUEUE_PAGE)
    total = await services.cases.count_open()
    await _reply(
        update,
        staff_ui.queue(
            rows,
            total,
            tr._("Open cases"),
            tr,
            services.content.pack,
            services.clock.now(),
            services.require_staff().names,
        ),
    )


@staff_command()
async def mine_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/mine — open cases assigned to me."""
    if actor.user_id is None:
        return
    services = context.services
    tr = staff_tr(services)
    rows = await services.cases.queue(QUEUE_PAGE, assignee_id=actor.user_id)
    unclaimed = await services.cases.count_unclaimed()
    await _reply(
        update,
        staff_ui.queue(
            rows,
            len(rows),
            tr._("My cases"),
            tr,
            services.content.pack,
            services.clock.now(),
            services.require_staff().names,
            unclaimed=unclaimed,
        ),
    )


@staff_command()
async def case_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/case 123 — the case card, its description and last messages."""
    services = context.services
    tr = staff_tr(services)
    case_id = parse_case_id(" ".join(context.args or []))
    row = await services.cases.get(case_id) if case_id is not None else None
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


@staff_command()
async def find_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/find text — cases whose description or messages contain the text."""
    services = context.services
    tr = staff_tr(services)
    needle = " ".join(context.args or []).strip()
    if len(needle) < 2:
        await _reply(update, tr._("Use /find WORDS, e.g. /find passport."))
        return
    rows = await services.cases.find(needle)
    await services.records.audit(actor.audit_id, "find", None, services.clock.now())
    await _reply(
        update,
        staff_ui.queue(
            rows,
            len(rows),
            tr._("Found"),
            tr,
            services.content.pack,
            services.clock.now(),
            services.require_staff().names,
            empty=tr._("No case matches that."),
        ),
    )


@staff_command()
async def report_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/report — the summary in the shape of the RESTART report."""
    services = context.services
    # Small batches keep each step on the event loop short; the arithmetic runs in a thread.
    records = [r async for r in services.cases.iter_records_fast(batch=500)]
    rep = await asyncio.to_thread(build_report, records)
    feedback = await services.records.feedback_counts()
    text = staff_ui.report(rep, staff_tr(services), services.content.pack)
    if feedback:
        tr = staff_tr(services)
        lines = ["", "<b>" + tr._("Answers rated (👍/👎)") + "</b>"]
        lines += [f"  {item}: {up}/{down}" for item, up, down in feedback[:10]]
        text = fit([*text.split("\n"), *lines])
    await _reply(update, text)


@staff_command(admin=True, refusal=N_("Only admins can see the audit log."))
async def audit_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/audit 123 — who did what to a case (admins only)."""
    services = context.services
    tr = staff_tr(services)
    case_id = parse_case_id(" ".join(context.args or []))
    if case_id is None:
        await _reply(update, tr._("Use /audit NUMBER."))
        return
    entries = await services.records.audit_for(case_id)
    await _reply(update, staff_ui.audit(case_id, entries, tr, services.require_staff().names))


@staff_command()
async def block_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/block 123 or /unblock 123 — stop or allow the person behind a case (staff)."""
    services = context.services
    tr = staff_tr(services)
    message = update.effective_message
    block = bool(message and (message.text or "").lstrip("/").lower().startswith("block"))
    case_id = parse_case_id(" ".join(context.args or []))
    row = await services.cases.get(case_id) if case_id is not None else None
    if row is None or row.user_id is None:
        await _reply(update, tr._("No such case, or its person was deleted. Use /block NUMBER."))
        return
    await services.people.set_blocked(row.user_id, block)
    await services.records.audit(
        actor.audit_id, "block" if block else "unblock", row.id, services.clock.now()
    )
    text = (
        tr._(
            "The person behind case #{number} is blocked: no new requests, messages not relayed.",
            number=row.id,
        )
        if block
        else tr._("The person behind case #{number} is unblocked.", number=row.id)
    )
    await _reply(update, text)


@staff_command(admin=True, refusal=N_("Only admins can reload the content."))
async def reload_command(update: Update, context: BotContext, actor: Actor) -> None:
    """/reload — load the content pack again without a restart (admins only)."""
    services = context.services
    tr = staff_tr(services)
    from bot.content.problems import PackError

    assert services.content_service is not None
    try:
        bundle = await services.content_service.reload()
    except PackError as exc:
        problems = "\n".join(str(p) for p in exc.problems[:10])
        await _reply(
            update,
            tr._("The content has errors; the old version stays:")
            + f"\n<pre>{staff_ui.esc(problems)}</pre>",
        )
        return
    await services.records.audit(actor.audit_id, "reload", None, services.clock.now())
    await _reply(update, tr._("Content reloaded: version {version}.", version=bundle.version))
