"""Staff-side texts: the queue, a case summary, search results, the report, the audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.cases.report import Report, Tally
from bot.content.model import Pack
from bot.i18n import N_, Tr
from bot.numbers import parse_int, parse_user_id
from bot.storage.cases import CaseMessage, CaseRow
from bot.storage.records import AuditEntry
from bot.ui import cases as case_ui
from bot.ui.screen import esc, fit


def _age(tr: Tr, since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return (
            tr._("just now")
            if minutes < 2
            else tr.ngettext("{count} minute", "{count} minutes", minutes)
        )
    hours = minutes // 60
    if hours < 48:
        return tr.ngettext("{count} hour", "{count} hours", hours)
    return tr.ngettext("{count} day", "{count} days", hours // 24)


def _name(names: Mapping[int, str], user_id: int) -> str:
    return names.get(user_id) or f"id {user_id}"


def case_line(row: CaseRow, tr: Tr, pack: Pack, now: datetime, names: Mapping[int, str]) -> str:
    rec = row.record
    who = _name(names, rec.assignee_id) if rec.assignee_id else tr._("unclaimed")
    flags = ""
    if rec.vulnerabilities:
        count = len(rec.vulnerabilities)
        flags = " · ⚠️ " + esc(
            tr.ngettext("{count} vulnerability", "{count} vulnerabilities", count)
        )
    return (
        f"#{rec.id} · {esc(pack.label('categories', rec.category, tr.lang))} · "
        f"{esc(rec.language)} · {esc(tr._(case_ui.PRIORITY_LABELS[rec.priority]))} · "
        f"{esc(tr._(case_ui.STAFF_STATUS_LABELS[rec.status]))} · {esc(who)} · "
        f"{esc(_age(tr, rec.created_at, now))}{flags}"
    )


def queue(
    rows: list[CaseRow],
    total: int,
    title: str,
    tr: Tr,
    pack: Pack,
    now: datetime,
    names: Mapping[int, str],
    *,
    unclaimed: int | None = None,
    empty: str | None = None,
) -> str:
    """A list of cases; for /mine, `unclaimed` says how many open cases nobody has taken."""
    waiting = []
    if unclaimed:
        waiting = [
            "",
            esc(
                tr.ngettext(
                    "{count} open case is not assigned to anyone yet: "
                    "see /queue, and claim it on its card.",
                    "{count} open cases are not assigned to anyone yet: "
                    "see /queue, and claim them on their cards.",
                    unclaimed,
                )
            ),
        ]
    if not rows:
        if empty is None:
            empty = (
                tr._("No open cases are assigned to you.")
                if unclaimed is not None
                else tr._("No open cases.")
            )
        return "\n".join([esc(empty), *waiting])
    lines = [f"<b>{esc(title)}</b> ({total})", ""]
    lines += [case_line(r, tr, pack, now, names) for r in rows]
    if total > len(rows):
        lines.append("…")
    lines += ["", esc(tr._("Open one with /case NUMBER.")), *waiting]
    return "\n".join(lines)


def case_summary(row: CaseRow, messages: list[CaseMessage], tr: Tr, card: str) -> str:
    lines = [card, ""]
    if row.description:
        lines += ["<b>" + esc(tr._("Description")) + "</b>", esc(row.description[:1500]), ""]
    if messages:
        lines.append("<b>" + esc(tr._("Last messages")) + "</b>")
        icons = {"in": "👤", "out": "🧑‍💼", "note": "📝"}
        for msg in messages[-8:]:
            body = (
                msg.text or "[" + tr._(case_ui.MEDIA_LABELS.get(msg.media_kind or "", "file")) + "]"
            )
            lines.append(f"{icons.get(msg.direction, '')} {esc(body[:300])}")
    return fit(lines)


def _tally_lines(title: str, values: Mapping[str, Tally], label: Callable[[str], str]) -> list[str]:
    rows = [(k, v) for k, v in values.items() if v.cases]
    if not rows:
        return []
    out = [f"<b>{esc(title)}</b>"]
    out += [f"  {esc(label(k))}: {v.cases} ({v.individuals})" for k, v in rows]
    return out


def _duration(tr: Tr, value: timedelta | None) -> str:
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    return tr._("{hours} h", hours=tr.number(round(hours, 1)))


def report(rep: Report, tr: Tr, pack: Pack) -> str:
    """A summary in the shape of the RESTART report: cases (individuals) by dimension."""
    lines = [
        "📊 <b>" + esc(tr._("Report")) + "</b>",
        esc(
            tr._(
                "Cases: {cases} · individuals: {people} ({household})",
                cases=rep.cases,
                people=rep.individuals,
                household=case_ui.household_text(tr, rep.adults, rep.children),
            )
        ),
        esc(
            tr._(
                "Open: {open} · with vulnerabilities: {vulnerable}",
                open=rep.open_cases,
                vulnerable=rep.vulnerable.cases,
            )
        ),
        esc(
            tr._(
                "Median first response: {first} · median resolution: {resolution}",
                first=_duration(tr, rep.median_first_response),
                resolution=_duration(tr, rep.median_resolution),
            )
        ),
    ]
    if rep.ratings.count:
        mean = tr.number(round(rep.ratings.mean or 0, 2))
        lines.append(
            esc(tr._("Ratings: {count}, average {mean} of 5", count=rep.ratings.count, mean=mean))
        )
    lines.append(esc(tr._("Figures are cases (individuals).")))
    lines.append("")
    lines += _tally_lines(
        tr._("By status"), rep.by_status, lambda k: tr._(case_ui.STAFF_STATUS_LABELS.get(k, k))
    )
    lines += _tally_lines(
        tr._("By category"), rep.by_category, lambda k: pack.label("categories", k, tr.lang)
    )
    lines += _tally_lines(tr._("By language"), rep.by_language, lambda k: k)
    lines += _tally_lines(tr._("By region"), rep.by_region, lambda k: k or "—")
    lines += _tally_lines(
        tr._("By audience"),
        rep.by_audience,
        lambda k: pack.label("audiences", k, tr.lang) if k in pack.audiences else k,
    )
    lines += _tally_lines(
        tr._("Vulnerabilities"),
        rep.by_vulnerability,
        lambda k: tr._(case_ui.VULNERABILITY_LABELS.get(k, k)),
    )
    lines += _tally_lines(
        tr._("Services delivered"), rep.services, lambda k: tr._(case_ui.SERVICE_LABELS.get(k, k))
    )
    lines += _tally_lines(
        tr._("Outcome"),
        rep.by_outcome,
        lambda k: (
            tr._(case_ui.OUTCOME_LABELS.get(k, k))
            if k in case_ui.OUTCOME_LABELS
            else tr._("none yet")
        ),
    )
    return fit(lines)


AUDIT_ACTIONS = {
    "claim": N_("claimed the case"),
    "view": N_("opened the case with /case"),
    "find": N_("searched cases"),
    "note": N_("wrote an internal note"),
    "reply": N_("replied to the person"),
    "block": N_("blocked the person"),
    "unblock": N_("unblocked the person"),
    "reload": N_("reloaded the content"),
    "closed_by_person": N_("closed the request"),
    "reopened_by_person": N_("reopened the request"),
}


def audit_action(action: str, tr: Tr, names: Mapping[int, str]) -> str:
    """An audit code in words: "as:200000002" -> "assigned the case to Aysel"."""
    code, _, value = action.partition(":")
    if code == "as":
        assignee = parse_user_id(value)
        if assignee is not None:
            return tr._("assigned the case to {name}", name=_name(names, assignee))
        return tr._("put the case back in the queue")
    if code == "st" and value in case_ui.STAFF_STATUS_LABELS:
        return tr._("set the status to “{status}”", status=tr._(case_ui.STAFF_STATUS_LABELS[value]))
    priority = parse_int(value)
    if code == "pr" and priority in case_ui.PRIORITY_LABELS:
        return tr._(
            "set the priority to “{priority}”", priority=tr._(case_ui.PRIORITY_LABELS[priority])
        )
    if code == "sv" and value in case_ui.SERVICE_LABELS:
        return tr._(
            "ticked or unticked the service “{service}”",
            service=tr._(case_ui.SERVICE_LABELS[value]),
        )
    if code == "oc" and value in case_ui.OUTCOME_LABELS:
        return tr._("set the outcome to “{outcome}”", outcome=tr._(case_ui.OUTCOME_LABELS[value]))
    if code == "reply_template":
        return tr._("sent the canned reply “{id}”", id=value)
    if action in AUDIT_ACTIONS:
        return tr._(AUDIT_ACTIONS[action])
    return action


def audit(case_id: int, entries: list[AuditEntry], tr: Tr, names: Mapping[int, str]) -> str:
    if not entries:
        return esc(tr._("No staff actions recorded for case #{number}.", number=case_id))
    lines = ["🧾 <b>" + esc(tr._("Audit log")) + f" #{case_id}</b>"]
    for e in entries:
        if e.action.endswith("_by_person"):
            who = tr._("the person")
        else:
            who = _name(names, e.actor_id) if e.actor_id else tr._("anonymous admin")
        lines.append(f"{tr.datetime(e.at)} · {esc(who)} · {esc(audit_action(e.action, tr, names))}")
    return fit(lines)
