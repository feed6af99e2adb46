"""Screens of support requests: intake steps, the person's list, the staff case card."""

from __future__ import annotations

from datetime import datetime

from bot import callbacks as cb
from bot.cases.model import OUTCOMES, SERVICES, STATUSES, VULNERABILITIES
from bot.content.model import Pack
from bot.i18n import N_, Tr
from bot.storage.cases import CaseRow
from bot.ui.screen import Button, Screen, esc, rows_of

STATUS_LABELS = {
    "new": N_("New"),
    "in_progress": N_("In progress"),
    "waiting": N_("Waiting for you"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "deleted": N_("Deleted at the person's request"),
}
STAFF_STATUS_LABELS = {**STATUS_LABELS, "waiting": N_("Waiting for the person")}
# What a person sent that is copied into the staff chat after a line saying it is theirs
# (it carries no caption of its own), or only described (Telegram cannot copy it).
PART_KIND_LABELS = {
    "sticker": N_("a sticker"),
    "video_note": N_("a round video"),
    "dice": N_("a dice"),
    "location": N_("a location"),
    "venue": N_("a place"),
    "contact": N_("a contact card"),
    "poll": N_("a poll"),
    "other": N_(
        "something that cannot be shown here (a pinned message, a story, web-app data or the like)"
    ),
}
PRIORITY_LABELS = {0: N_("High"), 1: N_("Normal"), 2: N_("Low")}
SERVICE_LABELS = {
    "employment": N_("Employment"),
    "education": N_("Education"),
    "documents": N_("Documents"),
    "accommodation": N_("Accommodation"),
    "medical": N_("Medical"),
    "disability_allowance": N_("Disability allowance"),
    "other": N_("Other"),
}
VULNERABILITY_LABELS = {
    "medical": N_("Urgent medical need"),
    "children": N_("Children who need help"),
    "no_housing": N_("No place to live"),
    "trafficking": N_("Feeling unsafe, or forced to work"),
    "disability": N_("Disability"),
    "psychosocial": N_("Stress, fear or trauma"),
}
OUTCOME_LABELS = {
    "supported": N_("Supported"),
    "completed": N_("Completed"),
    "rejected_ineligible": N_("Rejected: not eligible"),
    "rejected_other_programme": N_("Rejected: supported by another programme"),
    "withdrawn": N_("Withdrawn"),
}
MEDIA_LABELS = {
    "photo": N_("photo"),
    "voice": N_("voice message"),
    "document": N_("document"),
    "video": N_("video"),
    "audio": N_("audio"),
    "video_note": N_("video message"),
    "sticker": N_("sticker"),
    "location": N_("location"),
}
assert set(STATUS_LABELS) == set(STATUSES)
assert set(SERVICE_LABELS) == set(SERVICES)
assert set(VULNERABILITY_LABELS) == set(VULNERABILITIES)
assert set(OUTCOME_LABELS) == set(OUTCOMES)

CARD_FIELDS = {
    "category": N_("Category"),
    "language": N_("Language"),
    "audience": N_("Audience"),
    "region": N_("Region"),
    "household": N_("Household"),
    "vulnerability": N_("Vulnerability"),
    "priority": N_("Priority"),
    "team": N_("Team"),
    "assigned": N_("Assigned to"),
    "services": N_("Services delivered"),
    "created": N_("Created"),
    "due": N_("First response due"),
    "outcome": N_("Outcome"),
    "phone": N_("Phone"),
    "flow": N_("Eligibility answers"),
}

CANCEL = cb.Intake("x").pack()


def cancel_row(tr: Tr) -> tuple[Button, ...]:
    return (Button("✖️ " + tr._("Cancel"), CANCEL),)


# -- intake -------------------------------------------------------------------------------


def intake_category(pack: Pack, tr: Tr, about: str = "") -> Screen:
    buttons = [
        Button(
            f"{c.icon} {pack.label('categories', c.id, tr.lang)}".strip(),
            cb.Intake("cat", c.id).pack(),
        )
        for c in pack.categories.values()
    ]
    text = tr._("What is your request about?")
    if about:
        text = f"{esc(about)}\n\n{text}"
    return Screen(text, (*rows_of(buttons, 2), cancel_row(tr)))


def intake_describe(tr: Tr, parts: int) -> Screen:
    text = tr._(
        "Describe your situation in your own words, in as many messages as you need. "
        "You can also send photos, documents or voice messages. "
        "Press “Done” when you have finished."
    )
    rows: list[tuple[Button, ...]] = []
    if parts:
        text += "\n\n" + tr.ngettext(
            "Received {count} message.", "Received {count} messages.", parts
        )
        rows.append((Button("✅ " + tr._("Done"), cb.Intake("done").pack()),))
    rows.append(cancel_row(tr))
    return Screen(text, tuple(rows))


def intake_received(tr: Tr, parts: int) -> Screen:
    """The counter under a burst of messages: edited as more arrive, not a new prompt each time."""
    text = "📥 " + esc(
        tr.ngettext("Received {count} message.", "Received {count} messages.", parts)
    )
    text += " " + esc(tr._("Add more, or press “Done” when you have finished."))
    return Screen(text, ((Button("✅ " + tr._("Done"), cb.Intake("done").pack()),), cancel_row(tr)))


def intake_phone(tr: Tr) -> Screen:
    text = tr._(
        "If you want a caseworker to be able to call you, share your phone number with the "
        "button below the text field. This is optional."
    )
    return Screen(
        text, ((Button("➡️ " + tr._("Skip"), cb.Intake("phone", "-").pack()),), cancel_row(tr))
    )


def intake_region(tr: Tr) -> Screen:
    text = tr._("Which city or region are you in now? Type it, or skip.")
    return Screen(
        text, ((Button("➡️ " + tr._("Skip"), cb.Intake("region", "-").pack()),), cancel_row(tr))
    )


def intake_household(tr: Tr, step: str) -> Screen:
    if step == "adults":
        text = tr._("How many adults (18 or older) are in your household, you included?")
        values = ["1", "2", "3", "4", "5"]
    else:
        text = tr._("How many children (under 18) are in your household?")
        values = ["0", "1", "2", "3", "4", "5"]
    buttons = [Button(v + ("+" if v == "5" else ""), cb.Intake(step, v).pack()) for v in values]
    return Screen(
        text,
        (
            tuple(buttons),
            (Button("➡️ " + tr._("Skip"), cb.Intake(step, "-").pack()),),
            cancel_row(tr),
        ),
    )


def intake_vulnerabilities(tr: Tr, chosen: set[str]) -> Screen:
    text = tr._(
        "Does any of this apply to you or your family? Choose all that apply, then press "
        "“Continue”. This helps us answer the most urgent requests first."
    )
    buttons = [
        Button(
            ("☑️ " if v in chosen else "⬜ ") + tr._(VULNERABILITY_LABELS[v]),
            cb.Intake("v", v).pack(),
        )
        for v in VULNERABILITIES
    ]
    return Screen(
        text,
        (
            *rows_of(buttons),
            (Button("➡️ " + tr._("Continue"), cb.Intake("v", "done").pack()),),
            cancel_row(tr),
        ),
    )


def intake_consent(
    tr: Tr, retention_days: int, vulnerabilities: list[str] | tuple[str, ...] = ()
) -> Screen:
    chosen = [tr._(VULNERABILITY_LABELS[v]) for v in VULNERABILITIES if v in vulnerabilities]
    marks = (
        [
            esc(
                tr._(
                    "You also told us, and the caseworkers will see, "
                    "so that urgent requests are answered first: {marks}.",
                    marks="; ".join(chosen),
                )
            )
        ]
        if chosen
        else []
    )
    text = "\n".join(
        [
            "🔒 <b>" + esc(tr._("Before you send")) + "</b>",
            "",
            esc(
                tr._(
                    "We will store what you wrote and sent, the category, and, if you gave them, "
                    "your phone number, region and household size."
                )
            ),
            *marks,
            esc(
                tr._(
                    "Only the caseworkers of the service that runs this bot see "
                    "your request, to help you."
                )
            ),
            esc(
                tr.ngettext(
                    "Closed requests are deleted or made anonymous after {count} day.",
                    "Closed requests are deleted or made anonymous after {count} days.",
                    retention_days,
                )
            ),
            esc(
                tr._(
                    "You can see your data with /mydata and delete it at any time "
                    "with /delete. More: /privacy"
                )
            ),
        ]
    )
    return Screen(
        text,
        (
            (Button("✅ " + tr._("I agree, send my request"), cb.Intake("ok").pack()),),
            cancel_row(tr),
        ),
    )


def intake_sent(tr: Tr, case_id: int, hours: int) -> Screen:
    text = "\n".join(
        [
            "✅ "
            + esc(tr._("Your request {number} has been sent.", number=tr.isolate(f"#{case_id}"))),
            esc(
                tr.ngettext(
                    "A caseworker will answer here, usually within {count} hour.",
                    "A caseworker will answer here, usually within {count} hours.",
                    hours,
                )
            ),
            esc(tr._("Anything you write to me now goes to your caseworker.")),
        ]
    )
    return Screen(
        text,
        (
            (
                Button("📂 " + tr._("My requests"), cb.Requests("list").pack()),
                Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),
            ),
        ),
    )


# -- the person's view --------------------------------------------------------------------


def my_requests(rows: list[CaseRow], tr: Tr, pack: Pack) -> Screen:
    if not rows:
        return Screen(
            tr._("You have no requests yet."),
            (
                (Button("💬 " + tr._("Ask a caseworker"), cb.Requests("new").pack()),),
                (Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),
            ),
        )
    lines = ["📂 <b>" + esc(tr._("Your requests")) + "</b>", ""]
    buttons: list[tuple[Button, ...]] = []
    for row in rows[:10]:
        rec = row.record
        category = pack.label("categories", rec.category, tr.lang)
        lines.append(
            f"{esc(tr.isolate('#' + str(rec.id)))} · {esc(category)} · "
            f"{esc(tr._(STATUS_LABELS[rec.status]))} · {tr.date(rec.created_at)}"
        )
        if rec.status in ("new", "in_progress", "waiting"):
            buttons.append(
                (
                    Button(
                        "➕ " + tr._("Add to {number}", number=f"#{rec.id}"),
                        cb.Requests("add", str(rec.id)).pack(),
                    ),
                    Button(
                        "✖️ " + tr._("Close {number}", number=f"#{rec.id}"),
                        cb.Requests("close", str(rec.id)).pack(),
                    ),
                )
            )
    buttons.append((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),))
    return Screen("\n".join(lines), tuple(buttons))


def with_closed_choice(
    screen: Screen, case_id: int, reopen: bool, tr: Tr, *, after: bool = False
) -> Screen:
    """A screen with the note that the last request is closed and the choice what to do next.

    The note goes first, or last (`after`) when the screen must lead (emergency numbers).
    """
    number = tr.isolate(f"#{case_id}")
    note = "ℹ️ " + esc(
        tr._(
            "Your request {number} is closed, so this message did not go to a caseworker.",
            number=number,
        )
    )
    if reopen:
        note += " " + esc(tr._("To go on with it, reopen it; or start a new request."))
    choice: list[Button] = []
    if reopen:
        choice.append(
            Button(
                "🔁 " + tr._("Reopen {number}", number=f"#{case_id}"),
                cb.Requests("reopen", str(case_id)).pack(),
            )
        )
    choice.append(Button("🆕 " + tr._("New request"), cb.Requests("new").pack()))
    rows = list(screen.rows)
    # The choice takes the place of a plain "ask a caseworker" button (both start a request).
    plain = next(
        (
            i
            for i, row in enumerate(rows)
            if len(row) == 1 and row[0].data == cb.Requests("new").pack()
        ),
        None,
    )
    if plain is not None:
        rows[plain] = tuple(choice)
    else:
        rows.insert(0, tuple(choice))
    text = f"{screen.text}\n\n{note}" if after else f"{note}\n\n{screen.text}"
    return Screen(text, tuple(rows))


def rating_request(tr: Tr, case_id: int) -> Screen:
    text = tr._("How satisfied are you with the help you got? 1 = not at all, 5 = very.")
    buttons = tuple(
        Button("⭐" * n, cb.Requests("rate", str(case_id), str(n)).pack()) for n in range(1, 6)
    )
    return Screen(text, ((buttons[0], buttons[1], buttons[2]), (buttons[3], buttons[4])))


# -- staff --------------------------------------------------------------------------------


def topic_name(case_id: int, category: str, language: str) -> str:
    """Forum topic title, e.g. `#123 · documents · ru` (at most 128 characters)."""
    return f"#{case_id} · {category} · {language}"[:128]


def staff_card(
    row: CaseRow,
    tr: Tr,
    pack: Pack,
    *,
    due: datetime | None,
    assignee_name: str | None,
    flow_lines: list[str],
    flow_title: str | None,
    phone: str | None = None,
) -> str:
    """The case card at the top of a case topic: everything a caseworker needs at a glance."""
    rec = row.record
    adults, children = rec.adults, rec.children
    household = tr._("unknown")
    if adults is not None or children is not None:
        household = household_text(tr, adults, children)
    vulns = ", ".join(tr._(VULNERABILITY_LABELS[v]) for v in sorted(rec.vulnerabilities)) or "—"
    services = ", ".join(tr._(SERVICE_LABELS[s]) for s in sorted(rec.services)) or "—"
    lang_name = (
        pack.languages[rec.language].name if rec.language in pack.languages else rec.language
    )

    def line(label: str, value_html: str) -> str:
        return f"{esc(tr._(label))}: {value_html}"

    case_word = tr._("Case")
    lines = [
        f"🗂 <b>{esc(case_word)} #{rec.id}</b> · {esc(tr._(STAFF_STATUS_LABELS[rec.status]))}",
        line(CARD_FIELDS["category"], esc(pack.label("categories", rec.category, tr.lang))),
        line(CARD_FIELDS["language"], esc(lang_name)),
        line(
            CARD_FIELDS["audience"],
            esc(pack.label("audiences", rec.audience, tr.lang) if rec.audience else "—"),
        ),
        line(CARD_FIELDS["region"], esc(row.record.region or "—")),
        line(CARD_FIELDS["household"], esc(household)),
        line(CARD_FIELDS["vulnerability"], esc(vulns)),
        line(CARD_FIELDS["priority"], esc(tr._(PRIORITY_LABELS[rec.priority]))),
        line(CARD_FIELDS["team"], esc(rec.team)),
        line(CARD_FIELDS["assigned"], esc(assignee_name or "—")),
        line(CARD_FIELDS["services"], esc(services)),
        line(CARD_FIELDS["created"], tr.datetime(rec.created_at)),
    ]
    if due is not None and rec.first_response_at is None:
        lines.append(line(CARD_FIELDS["due"], tr.datetime(due)))
    if rec.outcome:
        lines.append(line(CARD_FIELDS["outcome"], esc(tr._(OUTCOME_LABELS[rec.outcome]))))
    if phone and row.deleted_at is None:
        lines.append(line(CARD_FIELDS["phone"], esc(tr.isolate(phone))))
    if flow_title:
        lines += ["", f"<b>{esc(tr._(CARD_FIELDS['flow']))}: {esc(flow_title)}</b>"]
        lines += [f"• {esc(item)}" for item in flow_lines]
    if row.deleted_at is not None:
        lines += ["", "🗑 " + esc(tr._("Deleted at the person's request."))]
    return "\n".join(lines)


def household_text(tr: Tr, adults: int | None, children: int | None) -> str:
    """ "1 adult, 2 children" with each language's plural forms; "?" for what is unknown."""
    grown = (
        tr.ngettext("{count} adult", "{count} adults", adults)
        if adults is not None
        else tr._("adults: ?")
    )
    young = (
        tr.ngettext("{count} child", "{count} children", children)
        if children is not None
        else tr._("children: ?")
    )
    return tr._("{adults}, {children}", adults=grown, children=young)


def card_buttons(
    case_id: int,
    tr: Tr,
    view: str = "main",
    status: str = "new",
    *,
    assignee: str | None = None,
    services: frozenset[str] = frozenset(),
) -> tuple[tuple[Button, ...], ...]:
    """The card's buttons; `view` opens a sub-menu in place; chosen services are marked."""
    if status == "deleted":
        return ()
    if view == "status":
        buttons = [
            Button(tr._(STAFF_STATUS_LABELS[s]), cb.Card(case_id, "st", str(s)).pack())
            for s in STATUSES
            if s != "deleted"
        ]
        return (
            *rows_of(buttons, 2),
            (Button("⬅️ " + tr._("Back"), cb.Card(case_id, "main").pack()),),
        )
    if view == "prio":
        buttons = [
            Button(tr._(PRIORITY_LABELS[p]), cb.Card(case_id, "pr", str(p)).pack())
            for p in (0, 1, 2)
        ]
        return (tuple(buttons), (Button("⬅️ " + tr._("Back"), cb.Card(case_id, "main").pack()),))
    if view == "svc":
        buttons = [
            Button(
                ("☑️ " if s in services else "⬜ ") + tr._(SERVICE_LABELS[s]),
                cb.Card(case_id, "sv", str(s)).pack(),
            )
            for s in SERVICES
        ]
        return (
            *rows_of(buttons, 2),
            (Button("⬅️ " + tr._("Back"), cb.Card(case_id, "main").pack()),),
        )
    if view == "out":
        buttons = [
            Button(tr._(OUTCOME_LABELS[o]), cb.Card(case_id, "oc", str(o)).pack()) for o in OUTCOMES
        ]
        return (
            *rows_of(buttons, 1),
            (Button("⬅️ " + tr._("Back"), cb.Card(case_id, "main").pack()),),
        )
    claim = (
        Button("↩️ " + tr._("Unclaim ({name})", name=assignee), cb.Card(case_id, "as", "-").pack())
        if assignee
        else Button("🙋 " + tr._("Claim"), cb.Card(case_id, "claim").pack())
    )
    return (
        (claim, Button("👥 " + tr._("Assign to…"), cb.Card(case_id, "assign").pack())),
        (
            Button("🔁 " + tr._("Status"), cb.Card(case_id, "status").pack()),
            Button("⚡ " + tr._("Priority"), cb.Card(case_id, "prio").pack()),
        ),
        (
            Button("🧰 " + tr._("Services delivered"), cb.Card(case_id, "svc").pack()),
            Button("🏁 " + tr._("Outcome"), cb.Card(case_id, "out").pack()),
        ),
    )
