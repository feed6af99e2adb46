"""Eligibility questionnaire screens: the list, one question at a time, the explained outcome."""

from __future__ import annotations

from bot import callbacks as cb
from bot.content.model import Pack, Source
from bot.flows.engine import OutcomeView, QuestionView
from bot.flows.model import Flow
from bot.i18n import N_, Tr
from bot.ui.menus import source_line
from bot.ui.screen import Button, Screen, esc

RESULT_ICONS = {"likely_eligible": "✅", "not_eligible": "❌", "unclear": "❔"}
# Generic result labels: only a fallback for outcomes without their own `label` in the pack.
RESULT_LABELS = {
    "likely_eligible": N_("Likely eligible"),
    "not_eligible": N_("Probably not eligible"),
    "unclear": N_("Unclear: a caseworker should look at this"),
}
INVALID_ANSWER = {
    "not_a_number": N_("Please type a number, for example 3."),
    "out_of_range": N_("That number is outside what this question accepts. Please check it."),
    "future_date": N_("That date is in the future. Please type a past date."),
    "bad_date": N_("Please type a date like 2024-03-15 or 15.03.2024."),
    "bad_duration": N_("Please choose a button, or type how long ago, for example “3 months”."),
    "not_an_option": N_("Please choose one of the buttons."),
}


def flow_list(pack: Pack, flows: dict[str, Flow], tr: Tr) -> Screen:
    """The questionnaires on offer."""
    chain = pack.language_chain(tr.lang)
    buttons = [
        (Button("✅ " + str(flow.texts.title(chain)), cb.FlowStart(fid).pack()),)
        for fid, flow in flows.items()
    ]
    buttons.append((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),))
    text = tr._(
        "Answer a few questions and I will tell you what probably applies to you, and why. "
        "The result is guidance, not a decision: a caseworker confirms it."
    )
    return Screen(text, tuple(buttons))


def question(flow: Flow, qv: QuestionView, tr: Tr, *, intro: str = "", notice: str = "") -> Screen:
    """One question with its answer buttons, progress, Back and Start over."""
    parts = []
    if notice:
        parts += [notice, ""]
    if intro:
        parts += [esc(intro), ""]
    parts.append(
        tr._("Question {number} of {total}", number=tr.number(qv.number), total=tr.number(qv.total))
    )
    parts.append(f"<b>{esc(qv.text)}</b>")
    if qv.hint:
        parts.append(f"<i>{esc(qv.hint)}</i>")
    elif qv.question.accepts_text and not qv.question.has_buttons:
        parts.append("<i>" + esc(tr._("Type your answer.")) + "</i>")
    rows: list[tuple[Button, ...]] = [(Button(label, data),) for _opt, label, data in qv.options]
    nav = []
    if qv.number > 1:
        nav.append(Button("⬅️ " + tr._("Back"), cb.FlowBack(flow.id, flow.version).pack()))
    nav.append(Button("🔄 " + tr._("Start over"), cb.FlowStart(flow.id).pack()))
    rows.append(tuple(nav))
    rows.append((Button("🏠 " + tr._("Main menu"), cb.FlowExit().pack()),))
    return Screen("\n".join(parts), tuple(rows))


def outcome(pack: Pack, flow: Flow, ov: OutcomeView, tr: Tr) -> Screen:
    """The result, why (the answers that led there), next steps, sources and what to do."""
    icon = RESULT_ICONS.get(ov.outcome.result, "")
    label = ov.label or tr._(RESULT_LABELS.get(ov.outcome.result, ov.outcome.result))
    parts = [f"{icon} <b>{esc(ov.title)}</b>", f"<i>{esc(label)}</i>", "", esc(ov.explanation)]
    if ov.answer_lines:
        parts += ["", f"<b>{esc(ov.because)}</b>"]
        parts += [f"• {esc(line)}" for line in ov.answer_lines]
    if ov.next_steps:
        parts += ["", "<b>" + esc(tr._("Next steps")) + "</b>"]
        parts += [f"{n}. {esc(step)}" for n, step in enumerate(ov.next_steps, 1)]
    sources = [Source(s.title, s.url) for s in ov.sources]
    parts += ["", source_line(pack, sources, ov.last_checked, tr, reviewed=ov.reviewed)]
    rows: list[tuple[Button, ...]] = []
    if ov.contact or ov.outcome.result != "likely_eligible":
        rows.append(
            (
                Button(
                    "💬 " + tr._("Ask a caseworker about this result"),
                    cb.Requests("flow", flow.id).pack(),
                ),
            )
        )
    for item_id in ov.related[:4]:
        if item_id in pack.items:
            text, _ = pack.text(item_id, tr.lang)
            rows.append((Button("📄 " + text.title, cb.Item(item_id).pack()),))
    rows.append(
        (
            Button("🔄 " + tr._("Start over"), cb.FlowStart(flow.id).pack()),
            Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),
        )
    )
    return Screen("\n".join(parts), tuple(rows))
