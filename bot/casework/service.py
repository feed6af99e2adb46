"""Opening cases, relaying messages both ways, status notices: state change + outbox, atomically."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cases import lifecycle
from bot.cases.actions import Mutation
from bot.cases.model import CaseRecord
from bot.cases.routing import Team, priority_for, route
from bot.cases.sla import first_response_due
from bot.i18n import Tr
from bot.services import Services
from bot.storage import UnitOfWork
from bot.storage.cases import CaseRow
from bot.ui import cases as case_ui
from bot.ui.bidi import isolate_html, isolated_pieces, plain_units
from bot.ui.screen import CAPTION_LIMIT, TEXT_LIMIT, clip, esc, utf16_len

log = logging.getLogger(__name__)

THREAD = "$thread"  # replaced by the case's forum topic id when the outbox sends
TEAM_THREAD = "$team_thread"  # replaced by the case team's announcement topic id
CARD = "$card"  # as a message's text: replaced by the rendered case card when sent


async def enqueue_in_topic(
    uow: UnitOfWork,
    staff_chat: int,
    html: str,
    *,
    kind: str,
    case_id: int,
    now: datetime,
    dedupe: str | None = None,
    view: str = "main",
) -> None:
    """Queue one HTML message into a case's topic (the outbox fills in the topic when it
    sends; `CARD` as the text posts the case card, opened at `view`)."""
    params: dict[str, Any] = {
        "chat_id": staff_chat,
        "text": html,
        "parse_mode": "HTML",
        "message_thread_id": THREAD,
    }
    if view != "main":
        params["$view"] = view
    await uow.outbox.enqueue(
        chat_id=staff_chat,
        method="sendMessage",
        params=params,
        kind=kind,
        case_id=case_id,
        dedupe_key=dedupe,
        now=now,
    )


@dataclass(frozen=True)
class Part:
    """One message of the person's, to be copied into the staff chat."""

    message_id: int
    kind: str  # text, photo, voice, document, ...
    text: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class Draft:
    user_id: int
    language: str
    audience: str | None
    category: str
    parts: list[Part]
    region: str | None
    adults: int | None
    children: int | None
    vulnerabilities: list[str]
    phone: str | None
    item_id: str | None
    flow: tuple[str, int, list[tuple[str, str]], str] | None


def staff_tr(services: Services) -> Tr:
    """Staff-side texts: the operator's STAFF_LANGUAGE, else the pack's default."""
    lang = services.settings.staff_language or services.content.pack.default_language
    return services.catalogs.tr(lang)


def staff_chat_for(services: Services, team_id: str) -> int | None:
    team = services.content.routing.team(team_id)
    return team.chat_id if team.chat_id is not None else services.settings.staff_chat_id


def _markup(rows: Any) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row] for row in rows
        ]
    }


def render_card(
    services: Services, row: CaseRow, phone: str | None = None, view: str = "main"
) -> tuple[str, dict[str, Any]]:
    """The card's HTML text and keyboard (`view`: the sub-menu left open) as Bot API JSON."""
    tr = staff_tr(services)
    pack = services.content.pack
    flow_title, flow_lines = None, []
    if row.flow_id and row.flow_id in services.content.flows:
        from bot.flows.engine import answer_lines

        flow = services.content.flows[row.flow_id]
        chain = pack.language_chain(tr.lang)
        flow_title = str(flow.texts.title(chain))
        try:
            flow_lines = answer_lines(flow, row.flow_answers, chain)
        except Exception:  # answers from an older version: show them raw
            flow_lines = [f"{q}: {a}" for q, a in row.flow_answers]
        if row.flow_outcome:
            outcome_line = "→ " + str(flow.texts.outcome_title(row.flow_outcome, chain))
            label = flow.texts.outcome_label(row.flow_outcome, chain)
            if label is not None:
                outcome_line += f" ({label})"
            flow_lines.append(outcome_line)
    assignee = row.record.assignee_id
    name = None
    if assignee is not None and services.staff is not None:
        name = services.staff.names.get(assignee) or f"id {assignee}"
    due = first_response_due(row.record, services.settings.first_response_hours)
    text = case_ui.staff_card(
        row,
        tr,
        pack,
        due=due,
        assignee_name=name,
        flow_lines=flow_lines,
        flow_title=flow_title,
        phone=phone,
    )
    buttons = case_ui.card_buttons(
        row.id, tr, view, row.status, assignee=name, services=row.record.services
    )
    return text, _markup(buttons)


async def open_case(services: Services, draft: Draft, source_update_id: int | None) -> int:
    """Create the case, its topic, card and copies of the person's messages in one transaction."""
    now = services.clock.now()
    rules = services.content.routing
    team = route(rules, draft.category, draft.language)
    priority = priority_for(rules, draft.vulnerabilities)
    staff_chat = staff_chat_for(services, team.id)
    description = "\n\n".join(p.text for p in draft.parts if p.text) or None
    topics = (
        staff_chat is not None
        and staff_chat == services.settings.staff_chat_id
        and services.staff is not None
        and await services.staff.uses_topics()
    )
    async with services.store.transaction() as uow:
        case_id = await uow.cases.create(
            user_id=draft.user_id,
            source_update_id=source_update_id,
            category=draft.category,
            language=draft.language,
            audience=draft.audience,
            region=draft.region,
            adults=draft.adults,
            children=draft.children,
            vulnerabilities=draft.vulnerabilities,
            description=description,
            priority=priority,
            team=team.id,
            staff_chat_id=staff_chat,
            flow=draft.flow,
            now=now,
        )
        if case_id is None:  # this update was handled before a crash: the case exists
            existing = await uow.cases.by_source_update(source_update_id or 0)
            return existing.id if existing else 0
        if services.abuse is not None:
            await uow.abuse.count_request(draft.user_id, now.date())
        await uow.people.leave_intake(draft.user_id, draft.phone)
        for part in draft.parts:
            await uow.cases.add_message(
                case_id=case_id,
                direction="in",
                author_id=draft.user_id,
                text=part.text,
                media_kind=None if part.kind == "text" else part.kind,
                file_id=part.file_id,
                update_id=None,
                now=now,
            )
        if staff_chat is not None:
            await _enqueue_staff_opening(
                services, uow, case_id, draft, staff_chat, team, topics, now
            )
    services.wake_outbox()
    log.info(
        "case %s opened: %s, %s, team %s, priority %s, %s parts",
        case_id,
        draft.category,
        draft.language,
        team.id,
        priority,
        len(draft.parts),
    )
    return case_id


async def _enqueue_staff_opening(
    services: Services,
    uow: UnitOfWork,
    case_id: int,
    draft: Draft,
    staff_chat: int,
    team: Team,
    forum: bool,
    now: datetime,
) -> None:
    if forum:
        await uow.outbox.enqueue(
            chat_id=staff_chat,
            method="createForumTopic",
            params={
                "chat_id": staff_chat,
                "name": case_ui.topic_name(case_id, draft.category, draft.language),
            },
            kind="topic",
            case_id=case_id,
            dedupe_key=f"case:{case_id}:topic",
            now=now,
        )
    await enqueue_in_topic(
        uow,
        staff_chat,
        CARD,
        kind="card",
        case_id=case_id,
        now=now,
        dedupe=f"case:{case_id}:card",
    )
    if forum and team.thread:
        tr = staff_tr(services)
        await uow.outbox.enqueue(
            chat_id=staff_chat,
            method="sendMessage",
            params={
                "chat_id": staff_chat,
                "message_thread_id": TEAM_THREAD,
                "parse_mode": "HTML",
                "text": "🆕 "
                + esc(
                    tr._(
                        "New case #{number}: {category}, {language}. Open its topic to take it.",
                        number=case_id,
                        category=draft.category,
                        language=draft.language,
                    )
                ),
            },
            kind="team_note",
            case_id=case_id,
            dedupe_key=f"case:{case_id}:team",
            now=now,
        )
    for part in draft.parts:
        await _enqueue_person_part(
            services,
            uow,
            case_id=case_id,
            staff_chat=staff_chat,
            person_chat=draft.user_id,
            part=part,
            dedupe=f"case:{case_id}:part:{part.message_id}",
            now=now,
        )


# Kinds copied with the "from the person" line as their caption; every other copyable kind
# gets that line as a message of its own just before the copy.
_CAPTIONED = frozenset({"photo", "video", "document", "audio", "voice", "animation"})
_COPIED_BARE = frozenset({"sticker", "video_note", "dice", "location", "venue", "contact", "poll"})


async def _enqueue_person_part(
    services: Services,
    uow: UnitOfWork,
    *,
    case_id: int,
    staff_chat: int,
    person_chat: int,
    part: Part,
    dedupe: str,
    now: datetime,
) -> None:
    """One of the person's messages into the case topic, unmistakably marked as theirs.

    The bot authors every copy, so without the mark a person could type "⚠️ The person has
    blocked the bot" and it would read as the bot's own notice. Text is re-sent under the
    mark; media keep it as their caption; what cannot carry a caption follows the mark; what
    Telegram cannot copy at all (service messages, stories...) is described instead.
    """
    tr = staff_tr(services)
    header = "💬 <b>" + esc(tr._("From the person")) + f"</b> · #{case_id}"

    async def send(html: str, key: str) -> None:
        await enqueue_in_topic(
            uow, staff_chat, html, kind="to_staff", case_id=case_id, now=now, dedupe=key
        )

    async def copy(key: str, caption: str | None = None) -> None:
        params: dict[str, Any] = {
            "chat_id": staff_chat,
            "from_chat_id": person_chat,
            "message_id": part.message_id,
            "message_thread_id": THREAD,
        }
        if caption is not None:
            params.update(caption=caption, parse_mode="HTML")
        await uow.outbox.enqueue(
            chat_id=staff_chat,
            method="copyMessage",
            params=params,
            kind="to_staff",
            case_id=case_id,
            dedupe_key=key,
            now=now,
        )

    if part.kind == "text":
        for n, html in enumerate(isolated_pieces(header, part.text or "", TEXT_LIMIT)):
            await send(html, dedupe if n == 0 else f"{dedupe}:{n}")
    elif part.kind in _CAPTIONED:
        room = CAPTION_LIMIT - plain_units(header) - 2
        shown = clip(part.text or "", room)
        await copy(dedupe, isolate_html(f"{header}\n{esc(shown)}" if shown else header))
        if part.text and shown != part.text:
            for n, html in enumerate(isolated_pieces(header, part.text, TEXT_LIMIT)):
                await send(html, f"{dedupe}:caption:{n}")
    elif part.kind in _COPIED_BARE:
        what = tr._(case_ui.PART_KIND_LABELS[part.kind])
        await send(f"{header}\n" + esc(tr._("sent {what}:", what=what)), f"{dedupe}:mark")
        await copy(dedupe)
    else:
        what = tr._(case_ui.PART_KIND_LABELS["other"])
        await send(
            f"{header}\n"
            + esc(tr._("sent {what}. Ask them to send it another way if you need it.", what=what)),
            dedupe,
        )


async def relay_from_person(
    services: Services,
    row: CaseRow,
    message_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
    update_id: int,
) -> CaseRow | None:
    """A person's message about their case: store it, reopen if needed, copy it to the staff.

    The case is read again inside the transaction (which holds the write lock): a /delete or
    a close that happened since the caller read it is never undone. None if the case is gone.
    """
    now = services.clock.now()
    async with services.store.transaction() as uow:
        current = await uow.cases.current(row.id)
        if current is None or current.deleted_at is not None or current.user_id is None:
            return None
        fresh = await uow.cases.add_message(
            case_id=current.id,
            direction="in",
            author_id=None,
            text=text,
            media_kind=None if kind == "text" else kind,
            file_id=file_id,
            update_id=update_id,
            now=now,
        )
        if not fresh:
            return current  # a replayed update: already relayed
        record = lifecycle.person_wrote(current.record, now) or current.record
        if record.status != current.status:
            await uow.cases.save(record, now)
        staff_chat = current.staff_chat_id
        if staff_chat is not None:
            await _enqueue_person_part(
                services,
                uow,
                case_id=current.id,
                staff_chat=staff_chat,
                person_chat=current.user_id,
                part=Part(message_id, kind, text, file_id),
                dedupe=f"u:{update_id}:to_staff",
                now=now,
            )
            log.debug("case %s: person's %s queued for the staff chat", current.id, kind)
            if record.status != current.status:
                await _enqueue_staff_note(
                    services,
                    uow,
                    current,
                    staff_chat,
                    now,
                    f"u:{update_id}:reopen",
                    "🔁 "
                    + staff_tr(services)._(
                        "The person wrote again; the case is {status} now.",
                        status=staff_tr(services)._(case_ui.STAFF_STATUS_LABELS[record.status]),
                    ),
                )
                await _enqueue_card_refresh(
                    services, uow, current, staff_chat, now, f"u:{update_id}:card"
                )
    services.wake_outbox()
    return current


async def relay_to_person(
    services: Services,
    row: CaseRow,
    *,
    staff_chat_id: int,
    staff_message_id: int,
    author_id: int | None,
    author_name: str | None,
    text: str | None,
    caption: str | None,
    kind: str,
    file_id: str | None,
    update_id: int,
    audit_action: str | None = None,
    audit_actor: int | None = None,
) -> bool:
    """A caseworker's message to the person: stored, signed, queued; first response recorded
    (and audit_action, if given, audited in the same transaction: never a relay without it).

    False if nothing was sent: a replay, or the case was deleted or closed since the caller
    read it (it is read again inside the transaction, which holds the write lock).
    """
    if row.user_id is None or row.deleted_at is not None:
        return False
    now = services.clock.now()
    tr = services.catalogs.tr(row.record.language)
    signer = (
        author_name
        if services.settings.staff_signature == "first_name" and author_name
        else tr._("Caseworker")
    )
    number = tr.isolate(f"#{row.id}")
    header = f"👤 <b>{esc(signer)}</b> · {esc(number)}"
    header_units = utf16_len(f"👤 {signer} · {number}\n\n")
    async with services.store.transaction() as uow:
        current = await uow.cases.current(row.id)
        if (
            current is None
            or current.user_id is None
            or current.deleted_at is not None
            or current.status in ("closed", "deleted")
        ):
            return False
        row = current
        record = row.record
        if record.first_response_at is None:
            record = lifecycle.record_first_response(record, now)
        if record.status == "new":
            if record.assignee_id is None and author_id is not None:
                record = lifecycle.claim(record, author_id, now)
            if record.status == "new":
                record = lifecycle.transition(record, "in_progress", now)
        assert row.user_id is not None
        fresh = await uow.cases.add_message(
            case_id=row.id,
            direction="out",
            author_id=author_id,
            text=text or caption,
            media_kind=None if kind == "text" else kind,
            file_id=file_id,
            update_id=update_id,
            now=now,
        )
        if not fresh:
            return False
        await uow.cases.save(record, now)
        if audit_action is not None:
            await uow.records.audit(audit_actor, audit_action, row.id, now)
        if kind == "text" and text is not None:
            # Telegram counts characters after parsing: cut the plain text, never the HTML.
            for n, html in enumerate(isolated_pieces(header, text, TEXT_LIMIT)):
                await uow.outbox.enqueue(
                    chat_id=row.user_id,
                    method="sendMessage",
                    params={"chat_id": row.user_id, "text": html, "parse_mode": "HTML"},
                    kind="to_person",
                    case_id=row.id,
                    dedupe_key=f"u:{update_id}:to_person" + (f":{n}" if n else ""),
                    now=now,
                )
        else:
            # A caption holds 1,024 UTF-16 units with the header; what does not fit follows
            # as text, so nothing the caseworker wrote is lost (or fails the whole copy).
            shown = clip(caption, CAPTION_LIMIT - header_units - 8) if caption else ""
            cap = isolate_html(f"{header}\n\n{esc(shown)}" if shown else header)
            if plain_units(cap) > CAPTION_LIMIT:  # isolation marks pushed it over: text follows
                shown, cap = "", isolate_html(header)
            params = {
                "chat_id": row.user_id,
                "from_chat_id": staff_chat_id,
                "message_id": staff_message_id,
                "caption": cap,
                "parse_mode": "HTML",
            }
            await uow.outbox.enqueue(
                chat_id=row.user_id,
                method="copyMessage",
                params=params,
                kind="to_person",
                case_id=row.id,
                dedupe_key=f"u:{update_id}:to_person",
                now=now,
            )
            if caption and shown != caption:
                for n, html in enumerate(isolated_pieces(header, caption, TEXT_LIMIT)):
                    await uow.outbox.enqueue(
                        chat_id=row.user_id,
                        method="sendMessage",
                        params={"chat_id": row.user_id, "text": html, "parse_mode": "HTML"},
                        kind="to_person",
                        case_id=row.id,
                        dedupe_key=f"u:{update_id}:to_person:caption:{n}",
                        now=now,
                    )
        if record.status != row.status or record.assignee_id != row.record.assignee_id:
            await _enqueue_card_refresh(
                services, uow, row, staff_chat_id, now, f"u:{update_id}:card"
            )
    services.wake_outbox()
    return True


async def change(
    services: Services,
    row: CaseRow,
    mutate: Mutation,
    *,
    actor_id: int | None,
    action: str,
    detail: str | None,
    dedupe: str,
    notify_person: bool = True,
    view: str = "main",
) -> CaseRecord | None:
    """Apply a change to the case as it is now, audit it, refresh the card, and tell the person
    of status changes. Returns the new record, or None if the case is gone or nothing changed.

    `mutate` runs inside the transaction on the freshly read case (so a change made since the
    caller read it, or a /delete, is never overwritten); its lifecycle errors propagate.
    `view` is the card's sub-menu to leave open (the services menu while ticking several).
    """
    now = services.clock.now()
    async with services.store.transaction() as uow:
        current = await uow.cases.current(row.id)
        if current is None or current.deleted_at is not None or current.status == "deleted":
            return None
        record = mutate(current.record)
        if record == current.record:
            return None
        await uow.cases.save(record, now)
        await uow.records.audit(actor_id, action, current.id, now, detail)
        if current.staff_chat_id is not None:
            await _enqueue_card_refresh(
                services, uow, current, current.staff_chat_id, now, f"{dedupe}:card", view
            )
        if notify_person and record.status != current.status and current.user_id is not None:
            await enqueue_status_notice(
                services, uow, current, record.status, now, f"{dedupe}:notice"
            )
    services.wake_outbox()
    return record


async def enqueue_status_notice(
    services: Services, uow: UnitOfWork, row: CaseRow, status: str, now: datetime, dedupe: str
) -> None:
    """Tell the person, in their language, that their case changed; ask for a rating on close."""
    if row.user_id is None:
        return
    tr = services.catalogs.tr(row.record.language)
    text = "🔔 " + esc(
        tr._(
            "Your request {number} is now: {status}.",
            number=tr.isolate(f"#{row.id}"),
            status=tr._(case_ui.STATUS_LABELS[status]),
        )
    )
    params: dict[str, Any] = {"chat_id": row.user_id, "text": text, "parse_mode": "HTML"}
    if status in ("closed", "resolved"):
        rating = case_ui.rating_request(tr, row.id)
        params["text"] = text + "\n\n" + esc(rating.text)
        params["reply_markup"] = _markup(rating.rows)
    elif status == "waiting":
        params["text"] = (
            text
            + "\n"
            + esc(
                tr._("Your caseworker is waiting for an answer or a document from you. Reply here.")
            )
        )
    params["text"] = isolate_html(params["text"])
    await uow.outbox.enqueue(
        chat_id=row.user_id,
        method="sendMessage",
        params=params,
        kind="notice",
        case_id=row.id,
        dedupe_key=dedupe,
        now=now,
    )


async def refresh_card(services: Services, row: CaseRow, dedupe: str) -> None:
    """Queue an update of the case card in the staff chat (e.g. after the person deleted data)."""
    if row.staff_chat_id is None:
        return
    async with services.store.transaction() as uow:
        await _enqueue_card_refresh(
            services, uow, row, row.staff_chat_id, services.clock.now(), dedupe
        )
    services.wake_outbox()


async def resend_card(services: Services, row: CaseRow, dedupe: str, view: str = "main") -> None:
    """Post the case card anew (the old one is gone or the bot can no longer see it); the new
    message becomes the card."""
    if row.staff_chat_id is None:
        return
    async with services.store.transaction() as uow:
        await enqueue_in_topic(
            uow,
            row.staff_chat_id,
            CARD,
            kind="card",
            case_id=row.id,
            now=services.clock.now(),
            dedupe=dedupe,
            view=view,
        )
    services.wake_outbox()


async def _enqueue_card_refresh(
    services: Services,
    uow: UnitOfWork,
    row: CaseRow,
    staff_chat: int,
    now: datetime,
    dedupe: str,
    view: str = "main",
) -> None:
    params: dict[str, Any] = {
        "chat_id": staff_chat,
        "message_id": "$card_id",
        "text": CARD,
        "parse_mode": "HTML",
    }
    if view != "main":
        params["$view"] = view
    await uow.outbox.enqueue(
        chat_id=staff_chat,
        method="editMessageText",
        params=params,
        kind="card_edit",
        case_id=row.id,
        dedupe_key=dedupe,
        now=now,
    )


async def _enqueue_staff_note(
    services: Services,
    uow: UnitOfWork,
    row: CaseRow,
    staff_chat: int,
    now: datetime,
    dedupe: str,
    html: str,
) -> None:
    await enqueue_in_topic(
        uow, staff_chat, html, kind="staff_note", case_id=row.id, now=now, dedupe=dedupe
    )


async def save_rating_comment(
    services: Services, row: CaseRow, comment: str, update_id: int
) -> None:
    """The person's comment on the help they got: stored with the end of their step (one
    transaction, so a replay after a crash is recognised by their last_update_id), then shown
    in the case topic."""
    async with services.store.transaction() as uow:
        await uow.cases.update(row.id, services.clock.now(), rating_comment=comment)
        if row.user_id is not None:
            await uow.people.set_state(row.user_id, None, update_id=update_id)
    await post_to_case(
        services,
        row,
        "💬 "
        + esc(
            staff_tr(services)._(
                "The person's comment on the help they got: {comment}", comment=comment
            )
        ),
        f"u:{update_id}:comment",
    )


async def add_note(
    services: Services,
    row: CaseRow,
    author_id: int | None,
    audit_id: int | None,
    text: str,
    update_id: int,
) -> None:
    """An internal note in a case: stored and audited together, never sent to the person."""
    now = services.clock.now()
    async with services.store.transaction() as uow:
        fresh = await uow.cases.add_message(
            case_id=row.id,
            direction="note",
            author_id=author_id,
            text=text,
            media_kind=None,
            file_id=None,
            update_id=update_id,
            now=now,
        )
        if fresh:  # a replayed update stored nothing new: nothing new to audit
            await uow.records.audit(audit_id, "note", row.id, now)


async def post_to_case(services: Services, row: CaseRow, html: str, dedupe: str) -> None:
    """An automatic notice in the case's topic (reminders, deletions, delivery problems)."""
    if row.staff_chat_id is None:
        return
    async with services.store.transaction() as uow:
        await _enqueue_staff_note(
            services, uow, row, row.staff_chat_id, services.clock.now(), dedupe, html
        )
    services.wake_outbox()


def draft_from_state(
    user_id: int, language: str, audience: str | None, data: dict[str, Any]
) -> Draft:
    """Rebuild the intake draft stored in the person's state."""
    flow = data.get("flow")
    return Draft(
        user_id=user_id,
        language=language,
        audience=audience,
        category=data.get("category") or "other",
        parts=[Part(p["m"], p["k"], p.get("t"), p.get("f")) for p in data.get("parts", [])],
        region=data.get("region"),
        adults=data.get("adults"),
        children=data.get("children"),
        vulnerabilities=list(data.get("vuln", [])),
        phone=data.get("phone"),
        item_id=data.get("item"),
        flow=(flow[0], int(flow[1]), [tuple(a) for a in flow[2]], flow[3]) if flow else None,
    )
