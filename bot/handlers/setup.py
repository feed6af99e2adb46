"""After start: commands in every language, the staff chat's shape, and scheduled jobs."""

from __future__ import annotations

import logging
import time
from datetime import time as dtime
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.casework.sla_job import check_overdue
from bot.casework.staff import StaffDirectory
from bot.handlers.commands import menu_entries
from bot.services import Services

log = logging.getLogger(__name__)


async def prepare_staff(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Know the staff chat (and whether it has topics) before the first update is handled."""
    staff = StaffDirectory(
        application.bot, services.settings.staff_chat_id, services.settings.admin_ids
    )
    services.staff = staff
    if services.settings.staff_chat_id is None:
        log.warning("STAFF_CHAT_ID is not set: requests are stored but no caseworker sees them")
        return
    await staff.refresh_forum()


async def post_start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Register commands in every language and schedule the jobs."""
    try:
        await _set_commands(application, services)
    except TelegramError as exc:
        log.warning("setMyCommands failed (%s); continuing", type(exc).__name__)
    jobs = application.job_queue
    if jobs is not None:
        every = services.settings.sla_check_seconds
        jobs.run_repeating(_sla_job, interval=every, first=min(30, every), name="sla")
        jobs.run_daily(_retention_job, time=dtime(3, 15), name="retention")
        if services.store.shared:
            jobs.run_repeating(_follow_content_job, interval=15, first=15, name="content")


async def _set_commands(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    bot = application.bot
    pack = services.content.pack
    default = services.catalogs.tr(pack.default_language)
    await bot.set_my_commands(
        [BotCommand(c, default._(d)) for c, d in menu_entries("person")],
        scope=BotCommandScopeAllPrivateChats(),
    )
    for lang in pack.enabled_languages():
        if lang.code == pack.default_language:
            continue
        tr = services.catalogs.tr(lang.code)
        await bot.set_my_commands(
            [BotCommand(c, tr._(d)) for c, d in menu_entries("person")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code=lang.code,
        )
    if services.settings.staff_chat_id is not None:
        tr = services.catalogs.tr(services.settings.staff_language or pack.default_language)
        await bot.set_my_commands(
            [BotCommand(c, tr._(d)) for c, d in menu_entries("staff")],
            scope=BotCommandScopeChat(services.settings.staff_chat_id),
        )


async def _sla_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every minute: overdue cases get a reminder, then an escalation (once across instances)."""
    services: Services = context.application.bot_data["services"]
    if await services.store.leases.take_job(
        "sla", time.time(), services.settings.sla_check_seconds * 0.9
    ):
        await check_overdue(services)


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily: purge what the retention rules say is old enough (once across instances)."""
    from bot.privacy.retention import apply_retention

    services: Services = context.application.bot_data["services"]
    if await services.store.leases.take_job("retention", time.time(), 20 * 3600):
        await apply_retention(services)


async def _follow_content_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Several instances: reload the pack when another instance did (/reload, SIGHUP)."""
    from bot.content.problems import PackError

    services: Services = context.application.bot_data["services"]
    if services.content_service is None:
        return
    try:
        await services.content_service.follow()
    except PackError as exc:
        log.error("content reload (after another instance) failed, keeping the old pack: %s", exc)
