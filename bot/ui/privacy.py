"""Privacy screens: the notice, the data summary, deletion."""

from __future__ import annotations

from typing import Any

from bot import callbacks as cb
from bot.content.model import Pack
from bot.i18n import Tr
from bot.ui.screen import Button, Screen, esc


def notice(tr: Tr, closed_days: int, inactive_days: int) -> Screen:
    lines = [
        "🔒 <b>" + esc(tr._("Your privacy")) + "</b>",
        "",
        "<b>" + esc(tr._("What we store")) + "</b>",
        esc(
            tr._(
                "Your Telegram account number (not your name), your language, "
                "and which group describes you if you said so."
            )
        ),
        esc(
            tr._(
                "If you send a request: what you wrote and sent, its category, and your phone "
                "number, region and household size if you gave them; the caseworkers' replies."
            )
        ),
        esc(
            tr._("Your answers to eligibility questions, and whether you found an answer helpful.")
        ),
        esc(tr._("Questions you type to search are not stored.")),
        esc(
            tr._(
                "If you subscribe to announcements: the topics you chose, your language and "
                "since when. While an announcement is being sent to you we note that it was sent, "
                "so that you never get it twice; that note is deleted when the sending ends."
            )
        ),
        esc(
            tr._(
                "If caseworkers block you, or you open a request, "
                "we also keep a one-way code made from your account number (not the number itself) "
                "with the block and how many requests you opened that day. It stays after /delete, "
                "so that deleting cannot undo a block or the daily limit; it holds nothing else, "
                "and is removed two days after your last request unless you are blocked."
            )
        ),
        "",
        "<b>" + esc(tr._("Why")) + "</b>",
        esc(
            tr._(
                "Only to answer you and to help you through a caseworker; "
                "and to count, without names, how many people were helped."
            )
        ),
        "",
        "<b>" + esc(tr._("Who sees it")) + "</b>",
        esc(
            tr._(
                "Only the caseworkers of the service that runs this bot, "
                "in their private staff group. Nobody else."
            )
        ),
        "",
        "<b>" + esc(tr._("For how long")) + "</b>",
        esc(
            tr.ngettext(
                "Closed requests are made anonymous after {count} day.",
                "Closed requests are made anonymous after {count} days.",
                closed_days,
            )
        ),
        esc(
            tr.ngettext(
                "If you do not write for {count} day, your profile is deleted.",
                "If you do not write for {count} days, your profile is deleted.",
                inactive_days,
            )
        ),
        "",
        "<b>" + esc(tr._("Your rights")) + "</b>",
        esc(
            tr._(
                "/mydata shows everything stored about you, "
                "including the caseworkers' internal notes on your requests and what was done on "
                "them (but not which caseworker did it). /delete deletes it."
            )
        ),
        esc(
            tr._(
                "Telegram itself keeps this chat on your phone and its servers; "
                "we cannot delete that for you."
            )
        ),
    ]
    return Screen("\n".join(lines), ((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),))


def summary(data: dict[str, Any], tr: Tr, pack: Pack) -> Screen:
    profile = data.get("profile") or {}
    lines = ["🗂 <b>" + esc(tr._("What is stored about you")) + "</b>", ""]
    language = profile.get("language")
    lines.append(
        esc(
            tr._(
                "Language: {value}",
                value=pack.languages[language].name if language in pack.languages else "—",
            )
        )
    )
    audience = profile.get("audience")
    lines.append(
        esc(
            tr._(
                "Describes you: {value}",
                value=pack.label("audiences", audience, tr.lang) if audience else "—",
            )
        )
    )
    lines.append(
        esc(
            tr._(
                "Phone number: {value}",
                value=tr.isolate(profile["phone"]) if profile.get("phone") else "—",
            )
        )
    )
    cases = data.get("cases", [])
    lines.append(esc(tr.ngettext("{count} request", "{count} requests", len(cases))))
    messages = sum(len(c.get("messages", [])) for c in cases)
    lines.append(esc(tr.ngettext("{count} message kept", "{count} messages kept", messages)))
    lines.append(
        esc(
            tr.ngettext(
                "{count} eligibility questionnaire answered",
                "{count} eligibility questionnaires answered",
                len(data.get("eligibility_answers", [])),
            )
        )
    )
    lines.append(
        esc(
            tr.ngettext(
                "{count} consent given", "{count} consents given", len(data.get("consents", []))
            )
        )
    )
    subscriptions = data.get("announcement_subscriptions", [])
    lines.append(
        esc(
            tr.ngettext(
                "Announcements: {count} topic", "Announcements: {count} topics", len(subscriptions)
            )
        )
    )
    lines += ["", esc(tr._("The file below has all of it. To delete it, send /delete."))]
    return Screen("\n".join(lines))


def confirm_delete(tr: Tr) -> Screen:
    text = "\n".join(
        [
            "🗑 <b>" + esc(tr._("Delete your data?")) + "</b>",
            "",
            esc(
                tr._(
                    "This deletes your profile, phone number, requests and their messages, "
                    "your eligibility answers and feedback. Open requests are closed. "
                    "This cannot be undone."
                )
            ),
        ]
    )
    return Screen(
        text,
        (
            (Button("🗑 " + tr._("Yes, delete everything"), cb.Privacy("del", "ok").pack()),),
            (Button("✖️ " + tr._("No, keep it"), cb.Privacy("del", "no").pack()),),
        ),
    )


def kept(tr: Tr) -> Screen:
    return Screen(
        esc(tr._("Nothing was deleted.")), ((Button("🏠 " + tr._("Main menu"), cb.Menu().pack()),),)
    )


def deleted_text(tr: Tr, cases: int) -> str:
    return "\n".join(
        [
            "✅ " + esc(tr._("Your data has been deleted from this service.")),
            esc(
                tr.ngettext(
                    "{count} request was closed and erased.",
                    "{count} requests were closed and erased.",
                    cases,
                )
            )
            if cases
            else "",
            "",
            esc(
                tr._(
                    "What we cannot delete: the messages in this chat stay in "
                    "Telegram on your device. You can delete the chat yourself; "
                    "Telegram lets us remove our own messages only for 48 hours."
                )
            ),
            esc(
                tr._(
                    "Copies of your messages that were shown to caseworkers in Telegram may remain "
                    "in their group until they remove them."
                )
            ),
            esc(tr._("If you write again, you start as a new person.")),
        ]
    ).replace("\n\n\n", "\n\n")
