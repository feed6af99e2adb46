"""Screens of announcements: a person's subscription, the message they get, and the staff's
/announce steps, preview, progress and report.

Callback data of this feature, all here (short ids, never texts):
    person:  n:            the subscription screen        n:s:<topics>   a selection (not saved)
             n:ok:<topics> save the selection             n:stop         unsubscribe from everything
    staff:   an:t:<id>:<version>:<topic>   toggle a topic  an:l:<id>:<version>:<lang|*>  language
             an:p:<id>:<version>           preview         an:go:<id>:<version>          confirm
             an:x:<id>:<version>           discard
<topics> is a comma-separated list of topic ids ('*' = all, '-' = none).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot import callbacks as cb
from bot.announcements.model import ALL, Announcements, Prepared, duration_text, eta_seconds
from bot.content.model import Pack
from bot.i18n import Tr
from bot.storage.broadcasts import Broadcast
from bot.ui.screen import Button, Screen, esc, rows_of

UNSUBSCRIBE = cb.Subscriptions("stop").pack()


def encode_topics(topics: Sequence[str]) -> str:
    return ",".join(topics) if topics else "-"


def decode_topics(raw: str, known: Announcements) -> list[str]:
    if raw == "-":
        return []
    return known.known([t for t in raw.split(",") if t])


# -- the person's side ------------------------------------------------------------------------


def subscribe_screen(
    ann: Announcements, selected: Sequence[str], tr: Tr, *, saved: Sequence[str] = ()
) -> Screen:
    chain = [tr.lang, *tr.chain]
    everything = ALL in selected
    rows: list[tuple[Button, ...]] = []

    def data(action: str, topics: Sequence[str]) -> str:
        value = cb.Subscriptions(action, encode_topics(topics)).text()
        return value if cb.fits(value) else cb.Subscriptions(action, ALL).pack()

    buttons = []
    for topic in ann.topics.values():
        on = everything or topic.id in selected
        toggled = [t for t in selected if t not in (topic.id, ALL)] if on else [*selected, topic.id]
        if everything and on:
            toggled = [t for t in ann.topics if t != topic.id]
        label = f"{'✅' if on else '⬜'} {topic.icon} {ann.label(topic.id, chain)}".replace(
            "  ", " "
        )
        buttons.append(Button(label, data("s", ann.known(toggled))))
    rows.extend(rows_of(buttons, 1))
    rows.append(
        (
            Button(
                ("✅ " if everything else "⬜ ") + tr._("Everything"),
                data("s", [] if everything else [ALL]),
            ),
        )
    )
    rows.append((Button("💾 " + tr._("Save"), data("ok", ann.known(selected))),))
    if saved:
        rows.append((Button("🔕 " + tr._("Unsubscribe from all"), UNSUBSCRIBE),))
    rows.append((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),))
    text = "\n".join(
        [
            "🔔 <b>" + esc(tr._("Announcements")) + "</b>",
            "",
            esc(
                tr._(
                    "Choose what you want to hear about: rule changes (deadlines, fees) "
                    "and events such as legal-aid days. We send only what you choose, "
                    "in your language, and nothing else."
                )
            ),
            esc(
                tr._(
                    "You can stop at any time with /unsubscribe or the button "
                    "under every announcement."
                )
            ),
        ]
    )
    return Screen(text, tuple(rows))


def subscribed_text(ann: Announcements, topics: Sequence[str], tr: Tr) -> str:
    if not topics:
        return esc(tr._("You are not subscribed to any announcements."))
    if ALL in topics:
        names = tr._("everything")
    else:
        names = ", ".join(ann.label(t, [tr.lang, *tr.chain]) for t in topics)
    return esc(tr._("Subscribed. You will get announcements about: {topics}.", topics=names))


def unsubscribed_screen(tr: Tr) -> Screen:
    return Screen(
        esc(tr._("You will get no more announcements. To subscribe again, send /subscribe.")),
        ((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),),
    )


def announcement_message(
    body: str, tr: Tr, prepared: Prepared | None = None, pack: Pack | None = None
) -> tuple[str, dict[str, object]]:
    """The text a subscriber gets (HTML as checked) and its one button: unsubscribe."""
    text = body
    if prepared is not None:
        sources = " · ".join(
            f'<a href="{esc(s.url)}">{esc(pack.source_name(s, tr.lang) if pack else s.title)}</a>'
            for s in prepared.sources
        )
        text += (
            "\n\n<i>"
            + esc(tr._("Source:"))
            + " "
            + sources
            + " · "
            + esc(tr._("checked {date}", date=tr.date(prepared.last_checked)))
            + "</i>"
        )
    markup: dict[str, object] = {
        "inline_keyboard": [[{"text": "🔕 " + tr._("Unsubscribe"), "callback_data": UNSUBSCRIBE}]]
    }
    return text, markup


# -- the staff's side -------------------------------------------------------------------------


def _cb(kind: str, b: Broadcast, extra: str = "") -> str:
    return cb.Announce(kind, b.id, b.version, extra).pack()


def ask_text(tr: Tr) -> str:
    return "\n".join(
        [
            "📣 " + esc(tr._("New announcement. Send its text as your next message in this chat.")),
            esc(
                tr._(
                    "Telegram HTML is allowed (<b>, <i>, <a href>); at most 4096 characters. "
                    "/announce cancel stops."
                )
            ),
        ]
    )


def audience_screen(b: Broadcast, ann: Announcements, pack: Pack, tr: Tr) -> Screen:
    """Topics (toggles), the language of a typed text, then preview."""
    everything = ALL in b.topics
    topic_buttons = [
        Button(
            f"{'✅' if everything or t.id in b.topics else '⬜'} {ann.label(t.id, [tr.lang])}",
            _cb("t", b, t.id),
        )
        for t in ann.topics.values()
    ]
    rows = rows_of(topic_buttons, 2)
    rows.append(
        (Button(f"{'✅' if everything else '⬜'} " + tr._("All topics"), _cb("t", b, ALL)),)
    )
    if b.announcement_id is None:
        langs = [
            Button(
                f"{'🔘' if b.language is None else '⚪'} " + tr._("All languages"), _cb("l", b, ALL)
            )
        ]
        langs += [
            Button(
                f"{'🔘' if b.language == lang.code else '⚪'} {lang.code}", _cb("l", b, lang.code)
            )
            for lang in pack.enabled_languages()
        ]
        rows.extend(rows_of(langs, 3))
    rows.append(
        (Button("👁 " + tr._("Preview"), _cb("p", b)), Button("✖️ " + tr._("Discard"), _cb("x", b)))
    )
    lines = [
        "📣 <b>" + esc(tr._("Who gets it?")) + "</b>",
        esc(tr._("Subscribers of the chosen topics.")),
    ]
    if b.announcement_id is None:
        lines.append(
            esc(
                tr._(
                    "Typed text goes to subscribers of one language, "
                    "or to all when it reads the same in every language (a date, a link)."
                )
            )
        )
    return Screen("\n".join(lines), tuple(rows))


def preview_screen(
    b: Broadcast,
    body: str,
    recipients: int,
    unreachable: int,
    per_second: float,
    tr: Tr,
    ann: Announcements,
    note: str = "",
) -> Screen:
    topics = (
        tr._("all topics")
        if ALL in b.topics
        else ", ".join(ann.label(t, [tr.lang]) for t in b.topics)
    )
    language = b.language or tr._("all languages")
    lines = [
        "📣 <b>" + esc(tr._("Preview")) + "</b>",
        esc(tr._("Topics: {topics}. Language: {language}.", topics=topics, language=language)),
        esc(tr.ngettext("{count} recipient", "{count} recipients", recipients))
        + " · "
        + esc(
            tr._(
                "about {duration} at {rate} a second",
                duration=duration_text(eta_seconds(recipients, per_second)),
                rate=tr.number(per_second),
            )
        ),
    ]
    if unreachable:
        lines.append(
            esc(
                tr.ngettext(
                    "{count} subscriber blocked the bot and is left out.",
                    "{count} subscribers blocked the bot and are left out.",
                    unreachable,
                )
            )
        )
    if note:
        lines.append(esc(note))
    lines += ["", "—" * 10, body]
    rows: list[tuple[Button, ...]] = []
    if recipients:
        rows.append((Button("✅ " + tr._("Send to {count}", count=recipients), _cb("go", b)),))
    rows.append(
        (Button("⬅️ " + tr._("Back"), _cb("t", b, "=")), Button("✖️ " + tr._("Discard"), _cb("x", b)))
    )
    return Screen("\n".join(lines), tuple(rows))


def progress_text(b: Broadcast, per_second: float, tr: Tr, *, final: bool = False) -> str:
    head = "📣 " + esc(tr._("Announcement #{id}", id=b.id))
    if final:
        state = tr._("cancelled") if b.status == "cancelled" else tr._("finished")
    else:
        state = tr._("cancelling…") if b.status == "cancelled" else tr._("sending…")
    lines = [
        f"<b>{head}</b> — {esc(state)}",
        esc(
            tr._(
                "Sent: {sent} · failed: {failed} · blocked the bot: {blocked}",
                sent=b.sent,
                failed=b.failed,
                blocked=b.blocked,
            )
        ),
    ]
    if b.uncertain or b.skipped:
        lines.append(
            esc(
                tr._(
                    "Not sent: {skipped} (unsubscribed, deleted or cancelled) · "
                    "unknown after a restart: {uncertain}",
                    skipped=b.skipped,
                    uncertain=b.uncertain,
                )
            )
        )
    if not final:
        lines.append(
            esc(
                tr._(
                    "Remaining: {remaining} of {total} · about {eta} left",
                    remaining=b.remaining,
                    total=b.total,
                    eta=duration_text(eta_seconds(b.remaining, per_second)),
                )
            )
        )
    return "\n".join(lines)


def report_text(b: Broadcast, tr: Tr) -> str:
    took = ""
    if b.started_at and b.finished_at:
        took = duration_text((b.finished_at - b.started_at).total_seconds())
    lines = [
        "📣 <b>" + esc(tr._("Announcement #{id}: report", id=b.id)) + "</b>",
        esc(
            tr._(
                "Recipients: {total}. Sent: {sent}. Failed: {failed}. Blocked the bot: {blocked}.",
                total=b.total,
                sent=b.sent,
                failed=b.failed,
                blocked=b.blocked,
            )
        ),
    ]
    if b.uncertain:
        lines.append(
            esc(
                tr.ngettext(
                    "{count} send was cut off by a restart and not repeated (never twice): "
                    "that person may not have it.",
                    "{count} sends were cut off by a restart and not repeated (never twice): "
                    "those people may not have it.",
                    b.uncertain,
                )
            )
        )
    if b.skipped:
        lines.append(
            esc(
                tr._(
                    "Not sent: {count} (unsubscribed, deleted their data, or cancelled).",
                    count=b.skipped,
                )
            )
        )
    if b.status == "cancelled":
        lines.append(esc(tr._("Cancelled before the end.")))
    if took:
        lines.append(esc(tr._("Took {duration}.", duration=took)))
    return "\n".join(lines)


def expired_note(prepared: Prepared, today: date, tr: Tr) -> str | None:
    if prepared.expired(today):
        return tr._(
            "This announcement expired on {date}; it can no longer be sent.",
            date=prepared.expires.isoformat() if prepared.expires else "",
        )
    return None
