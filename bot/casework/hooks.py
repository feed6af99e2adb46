"""Outbox hooks for cases: late-bound topic ids and cards, result mapping, topic repair."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.casework.service import CARD, THREAD, enqueue_in_topic, post_to_case, render_card
from bot.delivery.outbox_worker import OutboxWorker
from bot.services import Services
from bot.storage.outbox import OutboxItem
from bot.ui import cases as case_ui
from bot.ui.screen import esc

log = logging.getLogger(__name__)

STAFF_KINDS = ("card", "card_edit", "to_staff", "staff_note")


def install_outbox_hooks(worker: OutboxWorker, services: Services, bot: Bot) -> None:
    """Teach the generic outbox worker how case messages are prepared, recorded and repaired."""

    async def prepare(item: OutboxItem) -> dict[str, Any] | None:
        if item.case_id is None:
            return item.params
        row = await services.cases.get(item.case_id)
        if row is None:
            return None
        if row.deleted_at is not None and item.kind == "to_staff":
            return None  # the person deleted their data: do not copy it into the staff chat
        params = dict(item.params)
        if params.get("message_thread_id") == THREAD:
            if row.thread_id is not None:
                params["message_thread_id"] = row.thread_id
            else:
                params.pop("message_thread_id")
        if params.get("message_id") == "$card_id":
            if row.card_message_id is None:
                return None
            params["message_id"] = row.card_message_id
        view = str(params.pop("$view", "main"))
        if params.get("text") == CARD:
            phone = None
            if row.user_id is not None:
                person = await services.people.get(row.user_id)
                phone = person.phone if person else None
            text, markup = render_card(services, row, phone=phone, view=view)
            params["text"] = text
            params["reply_markup"] = markup
        return params

    async def prepare_team(item: OutboxItem) -> dict[str, Any] | None:
        """Announcements go to the team's own topic, created once and remembered."""
        row = await services.cases.get(item.case_id) if item.case_id is not None else None
        if row is None:
            return None
        team = services.content.routing.team(row.record.team)
        if not team.thread:
            return None
        key = f"team_topic:{item.chat_id}:{team.id}"
        found = await services.store.meta.get(key)
        if found is None:
            topic = await bot.create_forum_topic(item.chat_id, team.thread)
            await services.store.meta.put(key, str(topic.message_thread_id))
            thread = topic.message_thread_id
        else:
            thread = int(found)
        return {**item.params, "message_thread_id": thread}

    async def repair_team(item: OutboxItem, exc: BadRequest) -> bool:
        """The team topic was deleted by hand: forget it, so the retry creates it again."""
        if "thread" in exc.message.lower() or "topic" in exc.message.lower():
            await services.store.meta.forget_prefix(f"team_topic:{item.chat_id}:")
            return True
        return False

    async def prepare_topic(item: OutboxItem) -> dict[str, Any] | None:
        """The case already has its topic (recorded just before a crash): create no second one."""
        row = await services.cases.get(item.case_id) if item.case_id is not None else None
        if row is None or row.thread_id is not None:
            return None
        return item.params

    async def after_topic(item: OutboxItem, result: Any) -> None:
        if item.case_id is not None and isinstance(result, dict):
            await services.cases.update(
                item.case_id, services.clock.now(), thread_id=result.get("message_thread_id")
            )

    async def after_card(item: OutboxItem, result: Any) -> None:
        if item.case_id is None or not isinstance(result, dict):
            return
        await services.cases.update(
            item.case_id, services.clock.now(), card_message_id=result.get("message_id")
        )
        await services.cases.map_staff_message(
            item.chat_id, int(result["message_id"]), item.case_id
        )

    async def after_map(item: OutboxItem, result: Any) -> None:
        if item.case_id is not None and isinstance(result, dict) and "message_id" in result:
            await services.cases.map_staff_message(
                item.chat_id, int(result["message_id"]), item.case_id
            )

    async def repair(item: OutboxItem, exc: BadRequest) -> bool:
        """A topic deleted or closed by hand: recreate or reopen it, then retry."""
        if item.case_id is None:
            return False
        message = exc.message.lower()
        row = await services.cases.get(item.case_id)
        if row is None:
            return False
        try:
            if "topic_closed" in message and row.thread_id is not None:
                await bot.reopen_forum_topic(item.chat_id, row.thread_id)
                return True
            if (
                "thread not found" in message
                or "topic_deleted" in message
                or "topic not found" in message
            ):
                topic = await bot.create_forum_topic(
                    item.chat_id,
                    case_ui.topic_name(row.id, row.record.category, row.record.language),
                )
                now = services.clock.now()
                await services.cases.update(
                    row.id, now, thread_id=topic.message_thread_id, card_message_id=None
                )
                if item.kind != "card":
                    async with services.store.transaction() as uow:
                        await enqueue_in_topic(
                            uow, item.chat_id, CARD, kind="card", case_id=row.id, now=now
                        )
                log.info("case %s: topic was gone, recreated", row.id)
                return True
            if item.kind == "card_edit" and "message to edit not found" in message:
                async with services.store.transaction() as uow:
                    await enqueue_in_topic(
                        uow,
                        item.chat_id,
                        CARD,
                        kind="card",
                        case_id=row.id,
                        now=services.clock.now(),
                    )
                return False
        except TelegramError as repair_error:
            log.warning("case %s: topic repair failed (%s)", row.id, type(repair_error).__name__)
        return False

    for kind in (*STAFF_KINDS, "to_person", "notice"):
        worker.add_hooks(kind, prepare=prepare)
    worker.add_hooks("topic", prepare=prepare_topic, after=after_topic)
    worker.add_hooks("team_note", prepare=prepare_team, repair=repair_team)
    worker.add_hooks("card", after=after_card, repair=repair)
    worker.add_hooks("card_edit", repair=repair)
    worker.add_hooks("to_staff", after=after_map, repair=repair)
    worker.add_hooks("staff_note", after=after_map, repair=repair)

    async def on_unreachable(chat_id: int) -> None:
        await services.people.mark_unreachable(chat_id)
        row = await services.cases.open_case_of(chat_id)
        if row is not None:
            tr = services.catalogs.tr(
                services.settings.staff_language or services.content.pack.default_language
            )
            await post_to_case(
                services,
                row,
                "⚠️ "
                + tr._("The person has blocked the bot: messages to them cannot be delivered."),
                f"case:{row.id}:unreachable:{services.clock.now().date()}",
            )

    worker.set_on_unreachable(on_unreachable)

    async def failed_to_person(item: OutboxItem, reason: str) -> None:
        """A caseworker's message that Telegram refused for good: say so where it was written."""
        row = await services.cases.get(item.case_id) if item.case_id is not None else None
        if row is None or row.deleted_at is not None:
            return
        tr = services.catalogs.tr(
            services.settings.staff_language or services.content.pack.default_language
        )
        await post_to_case(
            services,
            row,
            "⚠️ "
            + esc(
                tr._(
                    "A message to the person could not be delivered (Telegram said: {reason}). "
                    "Please send it again, shorter or in another form.",
                    reason=reason[:200],
                )
            ),
            f"outbox:{item.id}:failed",
        )

    worker.add_hooks("to_person", failed=failed_to_person)
