"""Staff-side texts: the queue, a case summary, search results, the report, the audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.cases.report import Report, Tally
from bot.content.model import Pack
from bot.i18n import Tr
from bot.storage.cases import CaseMessage, CaseRow
from bot.storage.records import AuditEntry
from bot.ui import cases as case_ui
from bot.ui.screen import esc, fit


def _age(tr: Tr, since: datetime, now: datetime) -> str:
    hours = int((now - since).total_seconds() // 3600)
    if hours < 48:
        return tr.ngettext("{count} hour", "{count} hours", hours)
    return tr.ngettext("{count} day", "{count} days", hours // 24)


def case_line(row: CaseRow, tr: Tr, pack: Pack, now: datetime, names: Mapping[int, str]) -> str:
    rec = row.record
    who = names.get(rec.assignee_id, str(rec.assignee_id)) if rec.assignee_id else tr._("unclaimed")
    flags = " ⚠️" if rec.vulnerabilities else ""
    return (
        f"#{rec.id} · {esc(pack.label('categories', rec.category, tr.lang))} · {esc(rec.language)} · "
        f"{esc(tr._(case_ui.PRIORITY_LABELS[rec.priority]))} · {esc(tr._(case_ui.STAFF_STATUS_LABELS[rec.status]))}"
        f" · {esc(who)} · {esc(_age(tr, rec.created_at, now))}{flags}"
    )


def queue(rows: list[CaseRow], total: int, title: str, tr: Tr, pack: Pack, now: datetime, names: Mapping[int, str]) -> str:
    if not rows:
        return esc(tr._("No open cases."))
    lines = [f"<b>{esc(title)}</b> ({total})", ""]
    lines += [case_line(r, tr, pack, now, names) for r in rows]
    if total > len(rows):
        lines.append("…")
    lines += ["", esc(tr._("Open one with /case NUMBER."))]
    return "\n".join(lines)


def case_summary(row: CaseRow, messages: list[CaseMessage], tr: Tr, card: str) -> str:
    lines = [card, ""]
    if row.description:
        lines += ["<b>" + esc(tr._("Description")) + "</b>", esc(row.description[:1500]), ""]
    if messages:
        lines.append("<b>" + esc(tr._("Last messages")) + "</b>")
        icons = {"in": "👤", "out": "🧑‍💼", "note": "📝"}
        for msg in messages[-8:]:
            body = msg.text or "[" + tr._(case_ui.MEDIA_LABELS.get(msg.media_kind or "", "file")) + "]"
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
        esc(tr._("Cases: {cases} · individuals: {people} ({adults} adults, {children} children)",
                 cases=rep.cases, people=rep.individuals, adults=rep.adults, children=rep.children)),
        esc(tr._("Open: {open} · with vulnerabilities: {vulnerable}", open=rep.open_cases, vulnerable=rep.vulnerable.cases)),
        esc(tr._("Median first response: {first} · median resolution: {resolution}",
                 first=_duration(tr, rep.median_first_response), resolution=_duration(tr, rep.median_resolution))),
    ]
    if rep.ratings.count:
        mean = tr.number(round(rep.ratings.mean or 0, 2))
        lines.append(esc(tr._("Ratings: {count}, average {mean} of 5", count=rep.ratings.count, mean=mean)))
    lines.append(esc(tr._("Figures are cases (individuals).")))
    lines.append("")
    lines += _tally_lines(tr._("By status"), rep.by_status, lambda k: tr._(case_ui.STAFF_STATUS_LABELS.get(k, k)))
    lines += _tally_lines(tr._("By category"), rep.by_category, lambda k: pack.label("categories", k, tr.lang))
    lines += _tally_lines(tr._("By language"), rep.by_language, lambda k: k)
    lines += _tally_lines(tr._("By region"), rep.by_region, lambda k: k or "—")
    lines += _tally_lines(tr._("By audience"), rep.by_audience, lambda k: pack.label("audiences", k, tr.lang) if k in pack.audiences else k)
    lines += _tally_lines(tr._("Vulnerabilities"), rep.by_vulnerability, lambda k: tr._(case_ui.VULNERABILITY_LABELS.get(k, k)))
    lines += _tally_lines(tr._("Services delivered"), rep.services, lambda k: tr._(case_ui.SERVICE_LABELS.get(k, k)))
    lines += _tally_lines(tr._("Outcome"), rep.by_outcome, lambda k: tr._(case_ui.OUTCOME_LABELS.get(k, k)) if k in case_ui.OUTCOME_LABELS else tr._("none yet"))
    return fit(lines)


def audit(case_id: int, entries: list[AuditEntry], tr: Tr, names: Mapping[int, str]) -> str:
    if not entries:
        return esc(tr._("No staff actions recorded for case #{number}.", number=case_id))
    lines = ["🧾 <b>" + esc(tr._("Audit log")) + f" #{case_id}</b>"]
    for e in entries:
        who = names.get(e.actor_id, str(e.actor_id)) if e.actor_id else tr._("anonymous admin")
        lines.append(f"{tr.datetime(e.at)} · {esc(who)} · {esc(e.action)}")
    return fit(lines)
