"""Builds the running bot: storage, content, the PTB Application, and the three workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot import heap
from bot.abuse import FloodGuard
from bot.bundle import ContentBundle
from bot.bundle.service import ContentLoader, ContentService, load_content
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.normalize import serve
from bot.delivery.broadcast import BroadcastSender
from bot.delivery.claims import LaneClaims
from bot.delivery.http import AiohttpRequest
from bot.delivery.inbox_worker import InboxDispatcher
from bot.delivery.lanes import lane_of
from bot.delivery.limits import FloodLimits, ReplyLimiter
from bot.delivery.outbox_worker import DRAIN_SECONDS, OutboxWorker
from bot.delivery.poller import ALLOWED_UPDATES, MAX_BACKLOG, UpdatePoller
from bot.delivery.webhook import InboxHealth, Unavailable, WebhookServer
from bot.handlers.context import BotContext
from bot.handlers.registry import register
from bot.handlers.render import answered_queries
from bot.services import Services
from bot.storage import open_store
from bot.storage.errors import as_storage_error, storage_fault
from bot.storage.inbox import InboxRow

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class BotRuntime:
    """The bot as a whole: start it, let it run, stop it cleanly."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    services: Services | None = None
    application: AnyApplication | None = None
    dispatcher: InboxDispatcher | None = None
    poller: UpdatePoller | None = None
    webhook: WebhookServer | None = None
    outbox_worker: OutboxWorker | None = None
    broadcaster: BroadcastSender | None = None
    limits: FloodLimits | None = None
    claims: LaneClaims | None = None
    # Reads the pack at start and on every reload (None: load_content). Tests pass a cache
    # that loads each state of a folder once per run and shares the (never mutated) result.
    content_loader: ContentLoader | None = None
    # Freeze the long-lived heap after start and each reload (bot.heap); tests that start
    # hundreds of bots in one process turn it off (a full collection each time).
    settle_heap: bool = True
    _http: AiohttpRequest | None = None
    _http_updates: AiohttpRequest | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _senders: list[asyncio.Task[None]] = field(default_factory=list)  # outbox, broadcast

    async def start(self) -> None:
        """Open storage, load content, initialise PTB, replay unfinished updates, start workers."""
        settings = self.settings
        load = self.content_loader or load_content
        loaded = load(settings.content_dir)
        bundle, catalogs = loaded.bundle, loaded.catalogs
        serve(bundle.pack.text_rules)  # typed answers match by the served pack's text rules
        store = await open_store(
            settings.database,
            abuse_key=settings.abuse_key,
            max_connections=max(10, settings.max_concurrent_chats // 2),
        )
        services = Services(
            settings=settings,
            clock=self.clock,
            store=store,
            catalogs=catalogs,
            content=bundle,
            flood=FloodGuard(settings.max_messages_per_minute),
        )
        self.services = services
        services.content_service = ContentService(
            settings.content_dir,
            store.meta,
            services.publish_content,
            load,
            after_swap=heap.settle if self.settle_heap else None,
        )
        await services.content_service.start()
        self._http = AiohttpRequest(
            connection_pool_size=max(16, 2 * settings.max_concurrent_chats + 16), pool_timeout=30
        )
        # getUpdates has a connection of its own (PTB keeps a separate request object for it).
        self._http_updates = AiohttpRequest(connection_pool_size=2)
        builder = (
            ApplicationBuilder()
            .token(settings.bot_token)
            .base_url(settings.bot_api_url)
            .base_file_url(settings.bot_api_url.replace("/bot", "/file/bot"))
            .updater(None)
            .context_types(ContextTypes(context=BotContext))
            .request(self._http)
            .get_updates_request(self._http_updates)
        )
        # One model of Telegram's limits for both send paths: replies through this limiter
        # (no pacing in private chats, a group's minute in groups, retry_after honoured),
        # proactive sends paced by the outbox worker against the same counts.
        limits = FloodLimits(
            overall_per_second=settings.pace_overall_per_second,
            chat_per_second=1.0 / settings.pace_chat_interval
            if settings.pace_chat_interval > 0
            else 0.0,
            chat_burst=settings.pace_chat_burst,
            group_per_minute=settings.pace_group_per_minute,
            bulk_per_second=settings.broadcast_per_second,
        )
        self.limits = limits
        # ReplyLimiter reads a str marker (the outbox's); PTB's builder types the bot as
        # ExtBot[None] once context_types is set, which does not change what it accepts.
        builder = builder.rate_limiter(ReplyLimiter(limits))  # type: ignore[arg-type]
        application = builder.build()
        application.bot_data["services"] = services
        register(application, services)
        self.application = application
        await application.initialize()
        await application.start()

        self.outbox_worker = OutboxWorker(
            application.bot,
            services.outbox,
            SystemClock(),
            limits=limits,
            on_unreachable=services.people.mark_unreachable,
        )
        services.outbox_worker = self.outbox_worker
        from bot.casework.hooks import install_outbox_hooks
        from bot.handlers.setup import post_start, prepare_staff

        await prepare_staff(application, services)

        install_outbox_hooks(self.outbox_worker, services, application.bot)
        from bot.delivery.broadcast import install_announcement_hooks

        install_announcement_hooks(self.outbox_worker, services)
        self.broadcaster = BroadcastSender(
            services,
            application.bot,
            per_second=min(settings.broadcast_per_second, settings.pace_overall_per_second),
            progress_seconds=settings.broadcast_progress_seconds,
        )
        services.broadcaster = self.broadcaster

        self.dispatcher = InboxDispatcher(
            services.inbox, self._process, self.clock, settings.max_concurrent_chats
        )
        outbox_worker = self.outbox_worker
        if store.shared:
            # Several instances may share this store: each chat is claimed by one at a time
            # (what was pending before a stop is claimed like anything else).
            self.claims = LaneClaims(store.leases, self.dispatcher)
            await store.driver.listen("inbox", self.claims.wake)
            await store.driver.listen("outbox", outbox_worker.wake)

            def outbox_run() -> Coroutine[Any, Any, None]:
                return outbox_worker.run_when_leader(lambda: store.driver.advisory_lock("outbox"))
        else:
            backlog = await services.inbox.unfinished()
            if backlog:
                log.info("resuming %s updates stored before the last stop", len(backlog))
            for row in backlog:
                self.dispatcher.submit(row)
            outbox_run = outbox_worker.run
        if settings.webhook:
            ingress = await self._start_webhook()
        else:
            await self._leave_webhook_mode()
            self.poller = UpdatePoller(
                application.bot,
                services.inbox,
                self.dispatcher,
                self.accept_updates,
                timeout=settings.poll_timeout,
            )
            ingress = asyncio.create_task(self.poller.run(), name="poller")
        self._senders = [
            asyncio.create_task(outbox_run(), name="outbox"),
            asyncio.create_task(self.broadcaster.run(), name="broadcast"),
        ]
        self._tasks = [ingress, *self._senders]
        if self.claims is not None:
            self._tasks.append(asyncio.create_task(self.claims.run(), name="claims"))
        await post_start(application, services)
        if self.settle_heap:
            heap.settle()
        log.info("bot started")

    async def accept_updates(self, updates: list[dict[str, Any]]) -> list[InboxRow]:
        """Both ingresses' one step: store raw updates in the inbox (one commit), then hand
        the ones not seen before to the dispatcher. Returns those. Raises what the store
        raises; nothing may be confirmed to Telegram before this returns."""
        assert self.services is not None and self.dispatcher is not None
        rows = [
            InboxRow(int(u["update_id"]), lane_of(u), json.dumps(u, ensure_ascii=False), u)
            for u in updates
            if isinstance(u, dict) and "update_id" in u
        ]
        fresh = await self.services.inbox.add(rows, self.clock.now())
        if self.claims is not None:
            # Handled by whichever instance holds (or now takes) each chat's lease.
            self.claims.wake()
            if fresh:
                await self.services.store.notify("inbox")
        else:
            for row in fresh:
                self.dispatcher.submit(row)
        return fresh

    async def _leave_webhook_mode(self) -> None:
        """A bot coming back from webhook mode must delete the webhook, or getUpdates is
        refused; what Telegram holds for the bot is kept. A hiccup here does not stop the
        start: the poller deletes the webhook itself if Telegram says one is still set."""
        assert self.application is not None
        try:
            await self.application.bot.delete_webhook(drop_pending_updates=False)
        except (NetworkError, RetryAfter) as exc:
            log.warning(
                "deleteWebhook failed (%s); the poller will retry if needed", type(exc).__name__
            )

    async def _start_webhook(self) -> asyncio.Task[None]:
        """Listen, then tell Telegram where to post (the store and dispatcher are ready)."""
        assert self.application is not None
        settings = self.settings
        self.webhook = WebhookServer(
            settings.webhook_path,
            settings.webhook_secret,
            self._store_from_webhook,
            self.inbox_health,
        )
        host, port = settings.webhook_listen
        await self.webhook.start(host, port)
        try:
            await self.application.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=settings.webhook_max_connections,
            )
        except BadRequest as exc:  # a NetworkError to PTB, but the network is fine: the URL is not
            raise TelegramError(f"setWebhook refused WEBHOOK_URL: {exc.message}") from exc
        log.info("webhook mode: listening on %s:%s", host, port)
        return asyncio.create_task(self._watch_dispatcher(), name="webhook-watch")

    async def _store_from_webhook(self, updates: list[dict[str, Any]]) -> None:
        assert self.dispatcher is not None
        if self.dispatcher.fatal is not None:
            raise Unavailable("the bot is stopping: the database cannot be used")
        if self.dispatcher.pending >= MAX_BACKLOG:
            # A bound on memory, as the poller's: Telegram keeps the update and sends it again.
            raise Unavailable(f"{MAX_BACKLOG} updates wait to be handled")
        await self.accept_updates(updates)

    async def inbox_health(self) -> InboxHealth:
        """Pending updates in the store (reaching it proves it answers) and how long the oldest
        has waited since it was stored (across instances: from the store, not this process)."""
        assert self.services is not None
        pending, oldest = await self.services.inbox.pending_lag(self.clock.now())
        return InboxHealth(pending, round(oldest, 3))

    async def _watch_dispatcher(self) -> None:
        """Webhook mode's counterpart of the poller's check: a database the dispatcher finds
        unusable (read-only, full, damaged) stops the bot with the operator's one line."""
        assert self.dispatcher is not None and self.services is not None
        await self.dispatcher.broken.wait()
        fatal = self.dispatcher.fatal
        assert fatal is not None
        raise as_storage_error(fatal) if storage_fault(fatal) else fatal

    async def _process(self, row: InboxRow) -> None:
        assert self.application is not None
        data = row.parsed if row.parsed is not None else json.loads(row.payload)
        query = data.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("message"), dict):
            # No handler reads the pressed message's keyboard; building it (an object per
            # button) was a twentieth of the CPU per press.
            query["message"] = {k: v for k, v in query["message"].items() if k != "reply_markup"}
        update = Update.de_json(data, self.application.bot)
        answered: set[str] = set()
        token = answered_queries.set(answered)
        try:
            await self.application.process_update(update)
        finally:
            answered_queries.reset(token)
            query = update.callback_query
            if query is not None and query.id not in answered:
                # Whatever happened (a handler that returned early, an error, a press the bot
                # ignores): the person's or caseworker's spinner stops.
                with contextlib.suppress(TelegramError):
                    await self.application.bot.answer_callback_query(query.id)

    async def wait(self) -> None:
        """Until a worker stops (a fatal error) or the tasks are cancelled."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None:
                raise exc

    async def stop(self) -> None:
        """Stop fetching, let handlers and sends in flight finish briefly, then close
        everything (within about DRAIN_SECONDS + 1: inside `docker stop`'s 10 s)."""
        deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS + 1
        if self.poller:
            self.poller.stop()
        if self.webhook:
            # Telegram keeps what it could not deliver and sends it after the restart.
            await self.webhook.stop()
        if self.outbox_worker:
            self.outbox_worker.stop()
        if self.broadcaster:
            self.broadcaster.stop()
        if self.claims:
            self.claims.stop()  # no new chats; the ones in hand finish below
        if self.dispatcher:
            try:
                await asyncio.wait_for(self.dispatcher.wait_idle(), timeout=5)
            except TimeoutError:
                log.warning("stopping with updates in flight; they will be handled after restart")
            await self.dispatcher.close()
        # The senders were told to stop: let them end by themselves, so that a send in flight
        # finishes and is recorded. Cancelled mid-call, it may or may not have arrived; an
        # announcement cut off so is 'uncertain' after the restart and never sent again.
        if self._senders:
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.wait(self._senders, timeout=max(0.5, left))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.application:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        for http in (self._http, self._http_updates):
            if http is not None:
                await http.shutdown()  # PTB skips it when initialising failed
        if self.services:
            await self.services.store.close()

    async def reload_content(self) -> ContentBundle:
        """Load the pack again and swap it in whole (SIGHUP, tests), on every instance."""
        assert self.services is not None and self.services.content_service is not None
        return await self.services.content_service.reload()


async def run_until_signal(runtime: BotRuntime) -> None:
    """Run until SIGINT/SIGTERM; SIGHUP reloads the content pack."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    reloads: set[asyncio.Future[None]] = set()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def reload() -> None:
        async def _do() -> None:
            try:
                bundle = await runtime.reload_content()
                log.info("content reloaded: version %s", bundle.version)
            except Exception as exc:  # keep serving the old pack
                log.error("content reload failed, keeping the old pack: %s", exc)

        task = asyncio.ensure_future(_do())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    try:
        await runtime.start()
    except BaseException:
        await runtime.stop()  # whatever started (the database, PTB's HTTP pool) is closed
        raise
    waiter = asyncio.create_task(runtime.wait())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if waiter.done() and waiter.exception():
            raise waiter.exception()  # type: ignore[misc]
    finally:
        waiter.cancel()
        stopper.cancel()
        await runtime.stop()
