"""Menus and answers: the language picker, topics, FAQ pages, emergency numbers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot import callbacks as cb
from bot.content.model import FaqItem, Pack, Source
from bot.i18n import Tr
from bot.ui.screen import Button, Screen, esc, rows_of

RESERVED_TOPICS = {"emergency", "eligibility", "about"}


def language_picker(pack: Pack, suggested: str | None, first_time: bool, tr: Tr) -> Screen:
    """Languages in their own names: the one Telegram suggests first the very first time,
    later always in languages.yaml order with the current one ticked."""
    languages = pack.enabled_languages()
    if suggested and first_time:
        languages.sort(key=lambda lang: lang.code != suggested)
    start = cb.Language.FIRST if first_time else ""
    buttons = [
        Button(
            ("✓ " if lang.code == suggested and not first_time else "") + lang.name,
            cb.Language(lang.code, start).pack(),
        )
        for lang in languages
    ]
    # Shown before a language is chosen, so the prompt is given in every language we have.
    text = (
        tr._("Choose your language:")
        if not first_time
        else "🌐 " + " · ".join(esc(lang.name) for lang in languages)
    )
    return Screen(text, tuple(rows_of(buttons, 2)))


def audience_question(pack: Pack, tr: Tr) -> Screen:
    """The optional first question that orders the menus."""
    buttons = [
        Button(pack.label("audiences", a, tr.lang), cb.Audience(a).pack()) for a in pack.audiences
    ]
    buttons.append(Button(tr._("Skip this question"), cb.Audience("-").pack()))
    text = tr._(
        "Which describes you? This only puts the most relevant answers first; you can skip it."
    )
    return Screen(text, tuple(rows_of(buttons)))


def welcome(pack: Pack, tr: Tr) -> str:
    """What /start and a greeting say: the operator's words from the pack (labels.yaml
    `welcome`), else a welcome that names no place; as HTML."""
    text = pack.welcome_text(tr.lang)
    return (
        esc(text)
        if text
        else esc(
            tr._(
                "Hello! I answer questions about rights, documents, services and eligibility, "
                "and I can pass your question to a caseworker."
            )
        )
    )


def main_menu(pack: Pack, audience: str | None, tr: Tr, *, notice: str = "") -> Screen:
    """Top-level topics, the Emergency button first, then asking a caseworker and search."""
    rows: list[tuple[Button, ...]] = [
        (Button("🆘 " + tr._("Emergency numbers"), cb.Emergency().pack()),)
    ]
    topic_buttons = [
        Button(f"{t.icon} {pack.label('topics', t.id, tr.lang)}".strip(), cb.Menu(t.id).pack())
        for t in pack.topics_for(audience)
        if t.id != "emergency"
    ]
    rows.extend(rows_of(topic_buttons, 2))
    rows.append((Button("💬 " + tr._("Ask a caseworker"), cb.Requests("new").pack()),))
    rows.append((Button("🔔 " + tr._("Announcements"), cb.Subscriptions().pack()),))
    rows.append(
        (
            Button("📂 " + tr._("My requests"), cb.Requests("list").pack()),
            Button("🌐 " + tr._("Language"), cb.Language("?").pack()),
        )
    )
    text = tr._("Main menu. Choose a topic, or type your question in your own words.")
    if notice:
        text = f"{notice}\n\n{text}"
    return Screen(text, tuple(rows))


def topic_menu(pack: Pack, topic_id: str, audience: str | None, tr: Tr) -> Screen:
    """Sub-topics and items of one topic, most relevant first."""
    topic = pack.topics[topic_id]
    buttons = [
        Button(f"{t.icon} {pack.label('topics', t.id, tr.lang)}".strip(), cb.Menu(t.id).pack())
        for t in pack.topics_for(audience, topic_id)
    ]
    for item in pack.items_in(topic_id, audience):
        item_text, _lang = pack.text(item.id, tr.lang)
        buttons.append(Button(item_text.title, cb.Item(item.id).pack()))
    back = cb.Menu(topic.parent).pack() if topic.parent else cb.Menu().pack()
    rows = [
        *rows_of(buttons),
        (Button("⬅️ " + tr._("Back"), back), Button("🏠 " + tr._("Main menu"), cb.Menu().pack())),
    ]
    title = f"{topic.icon} {pack.label('topics', topic_id, tr.lang)}".strip()
    text = f"<b>{esc(title)}</b>"
    if not buttons:
        text += "\n\n" + tr._("Nothing here yet.")
    return Screen(text, tuple(rows))


def item_page(
    pack: Pack,
    item: FaqItem,
    page: int,
    tr: Tr,
    *,
    flow_titles: dict[str, str] | None = None,
    voted: bool = False,
) -> Screen:
    """One page of an answer with its sources and last-checked date, and what to do next."""
    text, used_lang = pack.text(item.id, tr.lang)
    pages = text.pages or (text.answer,)
    page = max(1, min(page, len(pages)))
    parts = [f"<b>{esc(text.title)}</b>", "", esc(pages[page - 1].strip())]
    if len(pages) > 1:
        parts += [
            "",
            tr._("Page {page} of {pages}", page=tr.number(page), pages=tr.number(len(pages))),
        ]
    parts += [
        "",
        footer(pack, item, used_lang, text.draft or pack.text_drafts.get(used_lang, False), tr),
    ]
    rows: list[tuple[Button, ...]] = []
    if len(pages) > 1:
        nav = []
        if page > 1:
            nav.append(Button("◀️ " + tr._("Previous"), cb.Item(item.id, page - 1).pack()))
        if page < len(pages):
            nav.append(Button(tr._("Next") + " ▶️", cb.Item(item.id, page + 1).pack()))
        rows.append(tuple(nav))
    for flow_id, title in (flow_titles or {}).items():
        rows.append((Button("✅ " + title, cb.FlowStart(flow_id).pack()),))
    for related in item.related[:3]:
        if related in pack.items:
            rtext, _ = pack.text(related, tr.lang)
            rows.append((Button("↪️ " + rtext.title, cb.Item(related).pack()),))
    rows.append(
        (Button("💬 " + tr._("Ask a caseworker about this"), cb.Requests("new", item.id).pack()),)
    )
    if not voted:
        rows.append(
            (
                Button("👍 " + tr._("Helpful"), cb.Feedback(item.id, 1).pack()),
                Button("👎 " + tr._("Not helpful"), cb.Feedback(item.id, 0).pack()),
            )
        )
    rows.append(
        (
            Button("⬅️ " + tr._("Back"), cb.Menu(item.topic).pack()),
            Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),
        )
    )
    return Screen("\n".join(parts), tuple(rows))


def source_links(pack: Pack, sources: Iterable[Source], tr: Tr) -> str:
    """Sources by their short names in the person's language, each a link, once each."""
    named: dict[str, str] = {}
    for source in sources:
        named.setdefault(pack.source_name(source, tr.lang), source.url)
    return ", ".join(f'<a href="{esc(url)}">{esc(name)}</a>' for name, url in named.items())


def source_line(
    pack: Pack,
    sources: Iterable[Source],
    checked: date,
    tr: Tr,
    *,
    shown_in: str | None = None,
    draft: bool = False,
    reviewed: bool = True,
) -> str:
    """One short line under an answer: sources, the date checked, and what to be careful of."""
    parts = [
        "📚 " + source_links(pack, sources, tr),
        "🗓 " + esc(tr._("checked {date}", date=tr.date(checked))),
    ]
    if shown_in is not None:
        parts.append("🌐 " + esc(tr._("in {language}: not yet translated", language=shown_in)))
    elif draft:
        parts.append("📝 " + esc(tr._("draft translation")))
    if not reviewed:
        parts.append("⚠️ " + esc(tr._("not yet confirmed by a caseworker")))
    return " · ".join(parts)


def footer(pack: Pack, item: FaqItem, used_lang: str, draft: bool, tr: Tr) -> str:
    """The answer's one-line footer: sources, last checked, and honest notes on drafts."""
    shown_in = pack.languages[used_lang].name if used_lang != tr.lang else None
    return source_line(
        pack,
        item.sources,
        item.last_checked,
        tr,
        shown_in=shown_in,
        draft=draft,
        reviewed=item.reviewed,
    )


def contact_label(pack: Pack, contact_id: str, number: str, lang: str) -> str:
    """A contact's label without the number repeated at its start ("103 (ambulance)")."""
    label = pack.label("contacts", contact_id, lang)
    if label.startswith(number):
        rest = label[len(number) :].strip(" ()-—–:,.")
        return rest[:1].upper() + rest[1:] if rest else label
    return label


def emergency_lines(pack: Pack, tr: Tr) -> list[str]:
    """One line per emergency number: the number in bold, then what it is for."""
    return [
        (
            f"☎️ <b>{esc(tr.isolate(c.number))}</b> — "
            f"{esc(contact_label(pack, c.id, c.number, tr.lang))}"
        )
        for c in pack.emergency_contacts()
    ]


def emergency(pack: Pack, tr: Tr) -> Screen:
    """Emergency numbers, one tap from the main menu, then the other help lines."""
    lines = ["🆘 <b>" + esc(tr._("Emergency numbers")) + "</b>", "", *emergency_lines(pack, tr)]
    others = [c for c in pack.contacts.values() if not c.emergency]
    if others:
        lines += ["", "<b>" + esc(tr._("Other help lines")) + "</b>"]
        for contact in others:
            label = contact_label(pack, contact.id, contact.number, tr.lang)
            lines.append(f"📞 {esc(tr.isolate(contact.number))} — {esc(label)}")
    checked = max((c.last_checked for c in pack.contacts.values()), default=None)
    if checked:
        sources = [s for c in pack.contacts.values() for s in c.sources]
        lines += [
            "",
            source_line(
                pack, sources, checked, tr, reviewed=all(c.reviewed for c in pack.contacts.values())
            ),
        ]
    rows = ((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),)
    return Screen("\n".join(lines), rows)


def menu_changed(pack: Pack, audience: str | None, tr: Tr) -> Screen:
    """A button from an older menu: say so and show the current one."""
    return main_menu(
        pack, audience, tr, notice="🔄 " + tr._("This menu has changed. Here is the current one.")
    )
