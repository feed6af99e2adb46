"""A local, deliberately strict emulator of the Telegram Bot API over HTTP (aiohttp)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import math
import re
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import BodyPartReader, web

from bot.sandbox.html import EntityParseError, parse_html, strip_text, utf16_len

if TYPE_CHECKING:
    from bot.sandbox.driver import GroupDriver, UserDriver

__all__ = [
    "ApiError",
    "BotEvent",
    "CallbackQueryState",
    "Chat",
    "Emulator",
    "Fault",
    "Faults",
    "FileInfo",
    "Message",
    "RateLimits",
    "Topic",
    "User",
    "WebhookConfig",
    "serve_forever",
]

ANONYMOUS_ADMIN_ID = 1087968824  # Telegram's GroupAnonymousBot
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
TOPIC_ICON_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
# Telegram's default when allowed_updates was never set: everything but these.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip
_RESTRICTED_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
    "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
    "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
    "can_react_to_messages",
)  # fmt: skip
_ACTIVE_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
# set_member_status(..., RESTRICTED_LEFT): restricted, then left; getChatMember says
# status "restricted" with is_member false.
RESTRICTED_LEFT = "restricted_left"
_FAULT_KINDS = frozenset({"400", "500", "429", "timeout", "drop", "drop_after", "slow"})

# Wire types of the parameters this emulator understands (from the Bot API spec, api.json).
_INT_FIELDS = frozenset(
    {
        "cache_time", "direct_messages_topic_id", "duration", "height", "icon_color", "limit",
        "max_connections", "message_id", "message_thread_id", "offset", "start_timestamp", "timeout", "user_id",
        "reply_to_message_id",
        "video_start_timestamp", "width",
    }
)  # fmt: skip
_BOOL_FIELDS = frozenset(
    {
        "allow_paid_broadcast", "disable_content_type_detection", "disable_notification",
        "drop_pending_updates", "has_spoiler", "is_big", "protect_content", "return_bots",
        "show_alert", "show_caption_above_media", "supports_streaming", "for_channels",
        "allow_sending_without_reply",
    }
)  # fmt: skip
_JSON_FIELDS = frozenset(
    {
        "allowed_updates", "caption_entities", "commands", "entities", "link_preview_options",
        "reaction", "reply_markup", "reply_parameters", "rich_message", "scope",
        "suggested_post_parameters", "message_ids",
    }
)  # fmt: skip
_CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})
# Required parameters that may be empty strings (and mean something then).
_EMPTY_ALLOWED = frozenset({("setWebhook", "url")})
_FILE_FIELDS = frozenset({"photo", "document", "voice", "audio", "video", "thumbnail", "cover"})
# Required parameters per method, as the spec's "required" flags (plus text for edits).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "getMe": (),
    "getUpdates": (),
    "setWebhook": ("url",),  # "" allowed: it removes the webhook
    "deleteWebhook": (),
    "getWebhookInfo": (),
    "setMyCommands": ("commands",),
    "getMyCommands": (),
    "deleteMyCommands": (),
    "sendMessage": ("chat_id", "text"),
    "editMessageText": ("text",),
    "editMessageCaption": (),
    "editMessageReplyMarkup": (),
    "answerCallbackQuery": ("callback_query_id",),
    "deleteMessage": ("chat_id", "message_id"),
    "sendChatAction": ("chat_id", "action"),
    "copyMessage": ("chat_id", "from_chat_id", "message_id"),
    "forwardMessage": ("chat_id", "from_chat_id", "message_id"),
    "sendPhoto": ("chat_id", "photo"),
    "sendDocument": ("chat_id", "document"),
    "sendVoice": ("chat_id", "voice"),
    "sendAudio": ("chat_id", "audio"),
    "sendVideo": ("chat_id", "video"),
    "sendContact": ("chat_id", "phone_number", "first_name"),
    "createForumTopic": ("chat_id", "name"),
    "editForumTopic": ("chat_id", "message_thread_id"),
    "closeForumTopic": ("chat_id", "message_thread_id"),
    "reopenForumTopic": ("chat_id", "message_thread_id"),
    "deleteForumTopic": ("chat_id", "message_thread_id"),
    "getChat": ("chat_id",),
    "getChatMember": ("chat_id", "user_id"),
    "getChatAdministrators": ("chat_id",),
    "leaveChat": ("chat_id",),
    "setMessageReaction": ("chat_id", "message_id"),
    "getFile": ("file_id",),
    "close": (),
    "logOut": (),
}
# Methods that Telegram's flood control counts: things that put a new message in a chat.
SENDING_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendAudio", "sendVideo",
        "sendContact", "copyMessage", "forwardMessage",
    }
)  # fmt: skip
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
# A local Bot API server posts to any port and over plain http; Telegram only over HTTPS to
# the ports above. The emulator stands for the former on this machine, the latter elsewhere.
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class User:
    """A Telegram account known to the emulator (person or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    phone: str | None = None
    blocked: bool = False  # this person blocked the bot
    started: bool = False  # this person ever wrote to the bot, so the bot may write to them

    def to_json(self) -> dict[str, Any]:
        """Telegram's User object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code and not self.is_bot:
            out["language_code"] = self.language_code
        return out


@dataclass
class Topic:
    """A forum topic; its id is the message_thread_id."""

    thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


@dataclass
class Message:
    """A message stored in a chat; mutated in place on edits and deletion."""

    chat_id: int
    message_id: int
    date: int
    from_id: int | None
    sender_chat_id: int | None = None
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    raw: str | None = None  # text or caption exactly as the bot sent it (HTML source)
    parse_mode: str | None = None
    media_kind: str | None = None  # photo, document, voice, audio, video, contact
    media: Any = None  # JSON of the media field (list of PhotoSize for photos)
    file_id: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    is_topic_message: bool = False
    service: dict[str, Any] | None = None
    forward_origin: dict[str, Any] | None = None
    edit_date: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    copied_from: tuple[int, int] | None = None
    # Content Telegram cannot copy or forward (invoices, giveaways, paid media, a quiz whose
    # answer the bot does not know): copyMessage refuses it like a service message.
    uncopyable: bool = False
    t: float = field(default_factory=time.monotonic)


# Message fields whose content copyMessage refuses (besides service messages).
_UNCOPYABLE_FIELDS = frozenset({"invoice", "giveaway", "giveaway_winners", "paid_media"})
# Fields of a message that are its content as a person sends it (the rest are metadata or,
# when present, make it a service message).
PERSON_CONTENT_FIELDS = frozenset({
    "text", "animation", "audio", "document", "paid_media", "photo", "sticker", "story", "video",
    "video_note", "voice", "checklist", "contact", "dice", "game", "poll", "venue", "location",
    "invoice", "giveaway", "giveaway_winners",
})
_MESSAGE_META_FIELDS = frozenset({
    "message_id", "message_thread_id", "direct_messages_topic", "from", "sender_chat",
    "sender_boost_count", "sender_business_bot", "sender_tag", "date", "business_connection_id",
    "chat", "forward_origin", "is_topic_message", "is_automatic_forward", "reply_to_message",
    "external_reply", "quote", "reply_to_story", "reply_to_checklist_task_id", "via_bot",
    "edit_date", "has_protected_content", "is_from_offline", "is_paid_post", "media_group_id",
    "author_signature", "paid_star_count", "entities", "link_preview_options", "suggested_post_info",
    "effect_id", "caption", "caption_entities", "show_caption_above_media", "has_media_spoiler",
    "reply_markup", "paid_message_price", "suggested_post_parameters",
})


@dataclass
class Chat:
    """A private chat (id == user id) or a supergroup."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1

    def take_message_id(self) -> int:
        """Allocate the next message id in this chat."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class FileInfo:
    """A file the emulator has handed out a file_id for."""

    file_id: str
    file_unique_id: str
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int = 0
    data: bytes = b""


@dataclass
class CallbackQueryState:
    """A button press and whether/how the bot answered it."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class BotEvent:
    """Something the bot did to a message: new, edit or delete (drivers wait on these)."""

    seq: int
    kind: str
    chat_id: int
    message_id: int
    t: float


@dataclass
class RateLimits:
    """Flood-control caps modelled on Telegram's documented limits.

    Telegram caps what a bot starts, not its replies: a message to a person who has just
    written (a message or a button press) is a reply, and `reply_credit` of them within
    `reply_window` seconds of each update pass free of the overall and per-chat caps.
    Everything else to a person counts against about 30 a second overall and a per-chat
    bucket (about 1 a second with short bursts). Every message into a group, replies and
    edits included, counts against that group's 20 a minute (and the overall cap).
    """

    enabled: bool = True
    global_per_second: int = 30
    group_per_minute: int = 20
    private_burst: float = 3.0
    private_per_second: float = 1.0
    reply_credit: int = 3
    reply_window: float = 10.0


@dataclass
class Fault:
    """An injected failure waiting for a matching call."""

    kind: str
    method: str | None
    count: int
    retry_after: int
    chat_id: int | str | None


class Faults:
    """Injected failures, consumed in the order added."""

    def __init__(self) -> None:
        self._items: list[Fault] = []
        self.timeout_seconds = 30.0  # a "timeout" fault hangs this long (or until stop)
        self.fired: list[dict[str, Any]] = []

    def add(
        self,
        method: str | None = None,
        kind: str = "500",
        count: int = 1,
        retry_after: int = 1,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Queue a fault; method=None matches any method except getUpdates."""
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_FAULT_KINDS)}")
        fault = Fault(kind, method, count, retry_after, chat_id)
        self._items.append(fault)
        return fault

    def clear(self) -> None:
        """Forget all pending faults."""
        self._items.clear()

    def pending(self) -> int:
        """How many fault firings are still queued."""
        return sum(f.count for f in self._items)

    def take(self, method: str, chat_id: Any) -> Fault | None:
        """Consume one firing of the first fault that matches this call."""
        for fault in self._items:
            if fault.method is None:
                if method == "getUpdates":
                    continue
            elif fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.count -= 1
            if fault.count <= 0:
                self._items.remove(fault)
            self.fired.append({"method": method, "kind": fault.kind, "chat_id": chat_id})
            return fault
        return None


@dataclass(frozen=True)
class WebhookConfig:
    """What setWebhook set: where updates are posted and with which secret."""

    url: str
    secret_token: str | None
    max_connections: int


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


# Where the emulator is deliberately stricter than Telegram (so sloppy code fails in tests):
# - a stray "&" in HTML is rejected (Telegram often lets it through as text);
# - a person must have written to the bot before the bot may write to them (as on Telegram,
#   but easy to forget: add_user(..., started=True) for people who already did);
# - closed topics reject messages even from an admin bot (Telegram lets admins post).
# sent_log leaves out getUpdates (it would drown everything else); calls counts it.
# With a webhook set, updates are POSTed to it (one at a time per chat, in update_id order,
# up to max_connections at once), each until the bot answers 2xx; a refused one is retried
# after webhook_retry_base seconds, doubling up to webhook_retry_cap (Telegram waits longer).


class Emulator:
    """In-memory Telegram: users, chats, topics, messages, updates, served over the Bot API."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        latency: float = 0.0,
        rate_limits: bool | RateLimits = True,
        callback_timeout: float = 15.0,
        bot_username: str = "helpdesk_test_bot",
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.latency = latency
        self.limits = (
            rate_limits
            if isinstance(rate_limits, RateLimits)
            else RateLimits(enabled=bool(rate_limits))
        )
        self.callback_timeout = callback_timeout
        self.privacy_mode = privacy_mode  # non-admin bots in groups see only commands/replies
        # Deliver every update kind whatever allowed_updates says (as a webhook set up by
        # another tool would): tests of what the bot does with kinds it did not ask for.
        self.deliver_everything = False
        self.faults = Faults()
        self.sent_log: list[dict[str, Any]] = []
        self.error_log: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []  # emulator bugs (tracebacks); should stay empty
        self.calls: collections.Counter[str] = collections.Counter()
        self.base_url = ""  # set by start(): "http://127.0.0.1:PORT/bot"
        self.file_base_url = ""  # for telegram.Bot(base_file_url=...), file downloads
        self.bot = User(
            id=int(token.split(":", 1)[0]),
            first_name="Helpdesk Test Bot",
            username=bot_username,
            is_bot=True,
        )
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self._group_drivers: dict[int, GroupDriver] = {}
        self.files: dict[str, FileInfo] = {}
        self.callback_queries: dict[str, CallbackQueryState] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.events: list[BotEvent] = []
        self.last_poll_t: float | None = None
        self._user_ids = itertools.count(200_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 700_000_001
        self._delivered_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight = 0
        self._last_call_t = time.monotonic()
        self._global_bucket: tuple[float, float] = (0.0, 0.0)  # (level, at); 0 = never
        self._group_sends: dict[int, collections.deque[float]] = {}
        self._private_buckets: dict[int, tuple[float, float]] = {}
        self._reply_credits: dict[int, tuple[int, float]] = {}  # chat -> (left, until)
        self._flood_refusals = 0
        self.webhook: WebhookConfig | None = None
        self.webhook_retry_base = 0.2
        self.webhook_retry_cap = 3.0
        self.webhook_timeout = 10.0  # seconds a delivery may take before it counts as failed
        self.webhook_deliveries = 0  # answered 2xx (the update is confirmed)
        self.webhook_failures = 0  # answered otherwise, or no answer (retried)
        self.webhook_log: list[dict[str, Any]] = []  # per attempt: update_id, status, t
        self.webhook_peak_in_flight = 0
        # A load balancer in front of the webhook (several instances): each delivery goes to
        # the next of these base URLs, the webhook URL's path kept, as nginx would spread them.
        self.webhook_balancer: list[str] = []
        self._balancer_next = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_in_flight: dict[int, asyncio.Task[None]] = {}
        self._webhook_retry: dict[int, tuple[int, float]] = {}  # update_id -> (failures, not before)
        self._webhook_last_error: tuple[int, str] | None = None
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name in _REQUIRED:
            impl = getattr(self, f"_m_{name.lower()}")
            self._handlers[name.lower()] = (name, impl)

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve the Bot API on host:port (0 picks a free port) and set base_url."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        app.router.add_get("/_emu/state", self._control_state)
        app.router.add_get("/_emu/messages", self._control_messages)
        app.router.add_post("/_emu/message", self._control_message)
        app.router.add_post("/_emu/press", self._control_press)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{real_port}/bot"
        self.file_base_url = f"http://{host}:{real_port}/file/bot"

    async def stop(self) -> None:
        """Wake every waiting request and shut the server down."""
        self._stopping.set()
        self._signal()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- people and groups

    def add_user(
        self,
        first_name: str,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        started: bool = False,
    ) -> UserDriver:
        """Create a person with a private chat; the bot may write first only if started=True."""
        from bot.sandbox.driver import UserDriver

        uid = next(self._user_ids)
        user = User(
            id=uid,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone=phone or f"+99450{uid % 10_000_000:07d}",
            started=started,
        )
        self.users[uid] = user
        self.chats[uid] = Chat(id=uid, type="private")
        return UserDriver(self, user)

    def add_group(
        self,
        title: str,
        *,
        forum: bool = True,
        members: Iterable[UserDriver] = (),
        admins: Iterable[UserDriver] = (),
        bot_is_admin: bool = True,
        creator: UserDriver | None = None,
    ) -> GroupDriver:
        """Create a supergroup (a forum by default) with the bot in it."""
        from bot.sandbox.driver import GroupDriver

        gid = -1_001_000_000_000 - next(self._group_ids)
        chat = Chat(id=gid, type="supergroup", title=title, is_forum=forum)
        if creator is not None:
            chat.members[creator.user_id] = "creator"
        for admin in admins:
            chat.members.setdefault(admin.user_id, "administrator")
        for member in members:
            chat.members.setdefault(member.user_id, "member")
        chat.members[self.bot.id] = "administrator" if bot_is_admin else "member"
        self.chats[gid] = chat
        driver = GroupDriver(self, chat)
        self._group_drivers[gid] = driver
        return driver

    def add_channel(self, title: str) -> Chat:
        """A channel with the bot as an admin (it gets channel_post updates)."""
        cid = -1_001_000_000_000 - next(self._group_ids)
        chat = Chat(id=cid, type="channel", title=title)
        chat.members[self.bot.id] = "administrator"
        self.chats[cid] = chat
        return chat

    def group(self, chat_id: int) -> GroupDriver:
        """The driver of a group made with add_group (one per group, so cursors are shared)."""
        return self._group_drivers[chat_id]

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Change someone's status in a group (emits chat_member / my_chat_member)."""
        chat = self.chats[chat_id]
        old = chat.members.get(user_id, "left")
        chat.members[user_id] = status
        if old == status:
            return
        kind = "my_chat_member" if user_id == self.bot.id else "chat_member"
        actor = next(
            (uid for uid, st in chat.members.items() if st == "creator"), ANONYMOUS_ADMIN_ID
        )
        self.enqueue_update(
            kind,
            {
                "chat": self.chat_json(chat),
                "from": self.user_json(actor),
                "date": int(time.time()),
                "old_chat_member": self._member_json(chat, user_id, old),
                "new_chat_member": self._member_json(chat, user_id, status),
            },
        )

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        """A person blocks/unblocks the bot; the bot gets my_chat_member like on Telegram."""
        user = self.users[user_id]
        if user.blocked == blocked:
            return
        user.blocked = blocked
        chat = self.chats[user_id]
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.enqueue_update(
            "my_chat_member",
            {
                "chat": self.chat_json(chat),
                "from": user.to_json(),
                "date": int(time.time()),
                "old_chat_member": self._member_json(chat, self.bot.id, old),
                "new_chat_member": self._member_json(chat, self.bot.id, new),
            },
        )

    # ----------------------------------------------------------------- JSON views

    def user_json(self, user_id: int) -> dict[str, Any]:
        """User object for an id (the anonymous admin bot included)."""
        if user_id == ANONYMOUS_ADMIN_ID:
            return {
                "id": ANONYMOUS_ADMIN_ID,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            }
        return self.users[user_id].to_json()

    def chat_json(self, chat: Chat) -> dict[str, Any]:
        """Chat object as embedded in messages."""
        if chat.type == "private":
            user = self.users[chat.id]
            out: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
            return out
        out = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            out["username"] = chat.username
        if chat.is_forum:
            out["is_forum"] = True
        return out

    def message_json(self, msg: Message, *, with_reply: bool = True) -> dict[str, Any]:
        """Telegram's Message object for a stored message, as it looks now."""
        chat = self.chats[msg.chat_id]
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": self.chat_json(chat),
        }
        if msg.from_id is not None:
            out["from"] = self.user_json(msg.from_id)
        if msg.sender_chat_id is not None:
            out["sender_chat"] = self.chat_json(self.chats[msg.sender_chat_id])
        if msg.thread_id is not None:
            out["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            out["is_topic_message"] = True
        reply_id = msg.reply_to
        # In a forum topic, an ordinary message "replies" to the topic's creation message.
        if reply_id is None and msg.is_topic_message and msg.message_id != msg.thread_id:
            reply_id = msg.thread_id
        if with_reply and reply_id is not None:
            target = chat.messages.get(reply_id)
            if target is not None and not target.deleted:
                out["reply_to_message"] = self.message_json(target, with_reply=False)
        if msg.forward_origin is not None:
            out["forward_origin"] = msg.forward_origin
        if msg.text is not None:
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        if msg.media_kind is not None:
            out[msg.media_kind] = msg.media
        if msg.caption:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
        if msg.service:
            out.update(msg.service)
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        return out

    def _member_json(self, chat: Chat, user_id: int, status: str | None = None) -> dict[str, Any]:
        if status is None:
            status = "member" if chat.type == "private" else chat.members.get(user_id, "left")
        out: dict[str, Any] = {"status": status, "user": self.user_json(user_id)}
        if status == "creator":
            out["is_anonymous"] = False
        elif status == "administrator":
            out.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                    "can_manage_topics": True,
                }
            )
        elif status == "kicked":
            out["until_date"] = 0
        elif status in ("restricted", RESTRICTED_LEFT):
            # A muted member: in the chat but allowed nothing. Restricted and then gone, the
            # restriction stays on record with is_member false.
            out.update({"status": "restricted", "is_member": status == "restricted", "until_date": 0})
            out.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
        return out

    # ----------------------------------------------------------------- events and updates

    def _signal(self) -> None:
        """Wake everyone waiting for a change (drivers, long polls)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, within: float) -> None:
        """Sleep until the next state change or `within` seconds, whichever comes first."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), within)

    def _event(self, kind: str, msg: Message) -> None:
        self.events.append(
            BotEvent(len(self.events) + 1, kind, msg.chat_id, msg.message_id, time.monotonic())
        )

    @property
    def event_seq(self) -> int:
        """Sequence number of the latest bot event."""
        return len(self.events)

    def _update_allowed(self, kind: str) -> bool:
        if self.deliver_everything:
            return True
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def inject_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Deliver an update built outside the emulator (e.g. generated from the Bot API's
        schema), first making what it refers to exist here: the message it carries is stored
        in its chat (so copies, replies and edits behave as Telegram would), a callback query
        is registered (so it can be answered)."""
        message = payload if kind in ("message", "edited_message", "business_message",
                                      "edited_business_message", "channel_post",
                                      "edited_channel_post") else None
        if kind == "callback_query":
            target = payload.get("message") or {}
            chat = target.get("chat") or {}
            self.callback_queries[str(payload["id"])] = CallbackQueryState(
                str(payload["id"]), int((payload.get("from") or {}).get("id", 0)), int(chat.get("id", 0)),
                int(target.get("message_id", 0)), str(payload.get("data") or ""), time.monotonic(),
            )
        if message is not None:
            self._store_injected(message)
        return self.enqueue_update(kind, payload)

    def _store_injected(self, data: dict[str, Any]) -> None:
        chat_json = data.get("chat") or {}
        chat = self.chats.get(int(chat_json.get("id", 0)))
        if chat is None:
            return
        content = [k for k in data if k not in _MESSAGE_META_FIELDS]
        service = {k: data[k] for k in content if k not in PERSON_CONTENT_FIELDS} or None
        kind = next((k for k in content if k in PERSON_CONTENT_FIELDS and k != "text"), None)
        poll = data.get("poll") or {}
        msg = Message(
            chat_id=chat.id, message_id=int(data["message_id"]), date=int(data.get("date", 0)),
            from_id=(data.get("from") or {}).get("id"), text=data.get("text"),
            caption=data.get("caption"), media_kind=kind, media=data.get(kind) if kind else None,
            thread_id=data.get("message_thread_id"), service=service,
            uncopyable=any(k in _UNCOPYABLE_FIELDS for k in content)
            or (poll.get("type") == "quiz" and "correct_option_id" not in poll),
        )
        chat.messages[msg.message_id] = msg
        chat.next_message_id = max(chat.next_message_id, msg.message_id + 1)

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Append an update for the bot; returns its update_id (None if filtered out)."""
        if not self._update_allowed(kind):
            return None
        uid = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": uid, kind: payload})
        self._grant_reply_credit(kind, payload)
        self._signal()
        return uid

    def _grant_reply_credit(self, kind: str, payload: dict[str, Any]) -> None:
        """A person wrote or pressed in their private chat: the bot may reply freely."""
        if kind == "callback_query":
            chat = (payload.get("message") or {}).get("chat") or {}
        elif kind in ("message", "edited_message"):
            chat = payload.get("chat") or {}
        else:
            return
        if chat.get("type") != "private" or not isinstance(chat.get("id"), int):
            return
        now = time.monotonic()
        left, until = self._reply_credits.get(chat["id"], (0, now))
        if until < now:
            left = 0
        self._reply_credits[chat["id"]] = (
            min(left + self.limits.reply_credit, 2 * self.limits.reply_credit),
            now + self.limits.reply_window,
        )

    @property
    def rate_limited(self) -> int:
        """How many calls this emulator refused with 429 for flood control (not faults)."""
        return self._flood_refusals

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    @property
    def undelivered_updates(self) -> int:
        """Updates that no getUpdates call has returned yet (with a webhook: that the bot has
        not answered 2xx for, in flight and waiting for a retry included)."""
        if self.webhook is not None:
            return len(self._updates)
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_update_id)

    def is_idle(self, quiet: float) -> bool:
        """No bot call in flight or within `quiet` seconds, and no update waiting for the bot."""
        return (
            self._inflight == 0
            and self.undelivered_updates == 0
            and time.monotonic() - self._last_call_t >= quiet
        )

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has been quiet for `quiet` seconds (getUpdates does not count)."""
        deadline = time.monotonic() + timeout
        while not self.is_idle(quiet):
            now = time.monotonic()
            if now >= deadline:
                never = "not confirmed by the webhook" if self.webhook is not None else "never fetched"
                raise AssertionError(
                    f"bot not idle after {timeout}s: {self._inflight} call(s) in flight, "
                    f"{self.undelivered_updates} update(s) {never}"
                )
            wake = max(quiet - (now - self._last_call_t), 0.01)
            await self.wait_change(min(wake, deadline - now))

    # ----------------------------------------------------------------- people's actions

    def _new_file(
        self,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        data: bytes = b"",
    ) -> FileInfo:
        n = next(self._file_ids)
        info = FileInfo(
            file_id=f"{kind.upper()}-{n:06d}-{secrets.token_hex(6)}",
            file_unique_id=f"U{kind[:2].upper()}{n:06d}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            data=data or f"fake {kind} #{n}".encode(),
        )
        info.size = len(info.data)
        self.files[info.file_id] = info
        return info

    def media_json(self, info: FileInfo, kind: str | None = None) -> Any:
        """The media field of a message carrying this file (as `kind`, default its own)."""
        kind = kind or info.kind
        base = {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
        }
        if kind == "photo":
            small = self.files.get(info.file_id + "-s")
            if small is None:
                small = FileInfo(info.file_id + "-s", info.file_unique_id + "s", "photo", size=1)
                self.files[small.file_id] = small
            return [
                {"file_id": small.file_id, "file_unique_id": small.file_unique_id,
                 "file_size": small.size, "width": 90, "height": 67},
                {**base, "width": 1280, "height": 960},
            ]  # fmt: skip
        if kind == "voice":
            return {**base, "duration": 3, "mime_type": info.mime_type or "audio/ogg"}
        if kind == "audio":
            return {**base, "duration": 30, "mime_type": info.mime_type or "audio/mpeg",
                    **({"file_name": info.file_name} if info.file_name else {})}  # fmt: skip
        if kind == "video":
            return {**base, "width": 640, "height": 480, "duration": 5,
                    "mime_type": info.mime_type or "video/mp4"}  # fmt: skip
        out = dict(base)
        if info.file_name:
            out["file_name"] = info.file_name
        if info.mime_type:
            out["mime_type"] = info.mime_type
        return out

    def new_upload_file(
        self, kind: str, *, file_name: str | None = None, mime_type: str | None = None
    ) -> FileInfo:
        """A file a person uploads (photo, voice, document...)."""
        return self._new_file(kind, file_name=file_name, mime_type=mime_type)

    def person_message(
        self,
        user_id: int,
        chat_id: int,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        media: FileInfo | None = None,
        contact: dict[str, Any] | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        sender_chat_id: int | None = None,
        service: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message a person (or the anonymous admin) sent, and tell the bot."""
        if entities is None and text is not None:
            entities = command_entities(text)
        chat = self.chats[chat_id]
        user = self.users.get(user_id)
        if chat.type == "private":
            if user is None or chat_id != user_id:
                raise ValueError("a private chat only has its own person in it")
            if user.blocked:
                # Writing to a blocked bot means pressing "Restart" first.
                self.set_blocked(user_id, False)
            user.started = True
        is_topic = False
        if thread_id is not None:
            topic = chat.topics.get(thread_id)
            if not chat.is_forum or topic is None or topic.deleted:
                raise ValueError(f"no topic {thread_id} in {chat.title!r}")
            status = chat.members.get(user_id, "left")
            if (
                topic.closed
                and sender_chat_id is None
                and status not in ("creator", "administrator")
            ):
                raise ValueError(f"topic {thread_id} is closed; only admins can write there")
            is_topic = True
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None or target.deleted:
                raise ValueError(f"no message {reply_to} to reply to in chat {chat_id}")
        msg = Message(
            chat_id=chat_id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=user_id,
            sender_chat_id=sender_chat_id,
            text=text,
            entities=entities or [],
            caption=caption or None,
            thread_id=thread_id,
            is_topic_message=is_topic,
            reply_to=reply_to,
            service=service,
        )
        if media is not None:
            msg.media_kind = media.kind
            msg.media = self.media_json(media)
            msg.file_id = media.file_id
        elif contact is not None:
            msg.media_kind = "contact"
            msg.media = contact
        chat.messages[msg.message_id] = msg
        if self._bot_sees(chat, msg):
            self.enqueue_update("message", self.message_json(msg))
        self._signal()
        return msg

    def _bot_sees(self, chat: Chat, msg: Message) -> bool:
        """Privacy mode: a non-admin bot in a group sees only commands, replies and mentions."""
        if chat.type == "private":
            return True
        status = chat.members.get(self.bot.id, "left")
        if status not in _ACTIVE_STATUSES:
            return False
        if not self.privacy_mode or status == "administrator" or msg.service:
            return True
        text = msg.text or msg.caption or ""
        if text.startswith("/") or f"@{self.bot.username}" in text:
            return True
        target = chat.messages.get(msg.reply_to) if msg.reply_to else None
        return target is not None and target.from_id == self.bot.id

    def person_edit(self, user_id: int, chat_id: int, message_id: int, text: str) -> Message:
        """A person edits their text message: the bot gets edited_message."""
        msg = self.chats[chat_id].messages.get(message_id)
        if msg is None or msg.deleted or msg.from_id != user_id or msg.text is None:
            raise ValueError(f"user {user_id} has no text message {message_id} in {chat_id}")
        msg.history.append({"text": msg.text, "entities": msg.entities, "edit_date": msg.edit_date})
        msg.text = text
        msg.entities = []
        msg.edit_date = int(time.time())
        if self._bot_sees(self.chats[chat_id], msg):
            self.enqueue_update("edited_message", self.message_json(msg))
        self._signal()
        return msg

    def person_press(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A person presses an inline button (any data: presses may be forged)."""
        chat = self.chats[chat_id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id} to press a button on")
        qid = str(secrets.randbits(62))
        self.callback_queries[qid] = CallbackQueryState(
            qid, user_id, chat_id, message_id, data, time.monotonic()
        )
        self.enqueue_update(
            "callback_query",
            {
                "id": qid,
                "from": self.user_json(user_id),
                "message": self.message_json(msg),
                "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                "data": data,
            },
        )
        return qid

    def set_topic_state(
        self, chat_id: int, thread_id: int, *, closed: bool | None = None, deleted: bool = False
    ) -> None:
        """Close, reopen or delete a topic "by hand", as a human admin would."""
        chat = self.chats[chat_id]
        topic = chat.topics[thread_id]
        if deleted:
            topic.deleted = True
            for msg in chat.messages.values():
                if msg.thread_id == thread_id:
                    msg.deleted = True
            self._signal()
            return
        if closed is None or topic.closed == closed:
            return
        topic.closed = closed
        admin = next(
            (u for u, st in chat.members.items() if st in ("creator", "administrator")
             and u != self.bot.id),
            None,
        )  # fmt: skip
        key = "forum_topic_closed" if closed else "forum_topic_reopened"
        self.person_message(
            admin if admin is not None else ANONYMOUS_ADMIN_ID,
            chat_id,
            thread_id=thread_id,
            sender_chat_id=None if admin is not None else chat_id,
            service={key: {}},
        )

    # ----------------------------------------------------------------- control API
    # For a standalone emulator driven from another process (playground, crash tests, curl).

    async def _control_state(self, request: web.Request) -> web.StreamResponse:
        users = [
            {"id": u.id, "first_name": u.first_name, "language_code": u.language_code,
             "blocked": u.blocked, "started": u.started}
            for u in self.users.values()
            if not u.is_bot
        ]  # fmt: skip
        groups = [
            {"id": c.id, "title": c.title, "is_forum": c.is_forum, "members": c.members,
             "topics": [vars(t) for t in c.topics.values()]}
            for c in self.chats.values()
            if c.type != "private"
        ]  # fmt: skip
        return web.json_response(
            {"users": users, "groups": groups, "pending_updates": self.pending_updates}
        )

    async def _control_messages(self, request: web.Request) -> web.StreamResponse:
        try:
            chat = self.chats[int(request.query["chat_id"])]
        except (KeyError, ValueError):
            return web.json_response({"error": "unknown or missing chat_id"}, status=400)
        out = [
            {"message_id": m.message_id, "text": m.text if m.text is not None else m.caption,
             "html": m.raw, "thread_id": m.thread_id, "media_kind": m.media_kind,
             "reply_markup": m.reply_markup, "edits": len(m.history)}
            for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
            if m.from_id == self.bot.id and not m.deleted and not m.service
        ]  # fmt: skip
        return web.json_response(out)

    async def _control_message(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            user_id = int(body["user_id"])
            text = str(body["text"])
            msg = self.person_message(
                user_id,
                int(body.get("chat_id") or user_id),
                text=text,
                thread_id=body.get("thread_id"),
                reply_to=body.get("reply_to"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": repr(exc)}, status=400)
        return web.json_response({"message_id": msg.message_id})

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            user_id = int(body["user_id"])
            qid = self.person_press(
                user_id,
                int(body.get("chat_id") or user_id),
                int(body["message_id"]),
                str(body["data"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": repr(exc)}, status=400)
        return web.json_response({"callback_query_id": qid})

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        for info in self.files.values():
            if self._file_path(info) == path:
                return web.Response(body=info.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method_raw = request.match_info["method"]
        entry = self._handlers.get(method_raw.lower())
        method = entry[0] if entry else method_raw
        self.calls[method] += 1
        if request.match_info["token"] != self.token:
            return self._error_response(method, {}, ApiError(401, "Unauthorized"))
        if entry is None:
            return self._error_response(method, {}, ApiError(404, "Not Found"))
        tracked = method != "getUpdates"
        if tracked:
            self._inflight += 1
        else:
            self.last_poll_t = time.monotonic()
        params: dict[str, Any] = {}
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            params, uploads = await self._read_params(request)
            params = self._coerce(method, params, uploads)
            fault = self.faults.take(method, params.get("chat_id"))
            if fault is not None and fault.kind == "slow":  # answers normally, retry_after s late
                await asyncio.sleep(fault.retry_after)
                fault = None
            if fault is not None and fault.kind != "drop_after":
                return await self._fire_fault(request, fault)
            result = await entry[1](params)
            if fault is not None:
                self._log_success(method, params, result)
                return await self._fire_fault(request, fault)
        except ApiError as err:
            return self._error_response(method, params, err)
        except Exception as exc:
            # An emulator bug must fail the test run loudly, not pass for a Telegram hiccup.
            self.internal_errors.append(f"{method}: {traceback.format_exc()}")
            return self._error_response(
                method, params, ApiError(500, f"Internal Server Error: emulator bug {exc!r}")
            )
        finally:
            if tracked:
                self._inflight -= 1
                self._last_call_t = time.monotonic()
            self._signal()
        if tracked:
            self._log_success(method, params, result)
        return web.json_response({"ok": True, "result": result})

    def _log_success(self, method: str, params: dict[str, Any], result: Any) -> None:
        self.sent_log.append(
            {"method": method, "params": _loggable(params), "result": result, "t": time.monotonic()}
        )

    def _error_response(
        self, method: str, params: dict[str, Any], err: ApiError
    ) -> web.StreamResponse:
        self.error_log.append(
            {
                "method": method,
                "params": _loggable(params),
                "error_code": err.code,
                "description": err.description,
                "t": time.monotonic(),
            }
        )
        return web.json_response(err.body(), status=err.code)

    async def _fire_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "400":  # refused for good (as for a chat Telegram will not write to)
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: refused (injected)"},
                status=400,
            )
        if fault.kind == "500":
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, status=500
            )
        if fault.kind == "429":
            err = ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
            return web.json_response(err.body(), status=429)
        if fault.kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.faults.timeout_seconds)
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        # drop / drop_after: the connection dies without any response.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, uploads
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise _bad("can't parse JSON encoded request body") from exc
                if not isinstance(body, dict):
                    raise _bad("JSON request body must be an object")
                params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: PTB never sends it
                name = part.name or ""
                if part.filename is not None:
                    data = await part.read()
                    uploads[name] = Upload(
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(data),
                    )
                else:
                    params[name] = await part.text()
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
        return params, uploads

    def _coerce(
        self, method: str, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        """Turn wire values into typed ones and enforce required parameters."""
        out: dict[str, Any] = {}
        for name, value in params.items():
            if value is None:
                continue
            out[name] = _coerce_value(name, value, uploads)
        for name, upload in uploads.items():
            if name in _FILE_FIELDS and name not in out:
                out[name] = upload
        for name in _REQUIRED[method]:
            value = out.get(name)
            if value == "" and (method, name) in _EMPTY_ALLOWED:
                continue
            if value is None or value == "" or value == []:
                raise _bad("message text is empty" if name == "text" else f"{name} is empty")
        return out

    # ----------------------------------------------------------------- validation helpers

    def _chat(self, chat_id: Any, *, for_sending: bool = True) -> Chat:
        chat: Chat | None = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next((c for c in self.chats.values() if c.username == chat_id[1:]), None)
        if chat is None:
            raise _bad("chat not found")
        if chat.type == "private":
            user = self.users[chat.id]
            if for_sending and user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if for_sending and not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            status = chat.members.get(self.bot.id, "left")
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
            if status not in _ACTIVE_STATUSES:
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _bot_is_admin(self, chat: Chat) -> bool:
        return chat.type == "private" or chat.members.get(self.bot.id) in (
            "creator",
            "administrator",
        )

    def _check_thread(self, chat: Chat, thread_id: int | None) -> tuple[int | None, bool]:
        """Validate message_thread_id; returns (thread_id, is_topic_message)."""
        if thread_id is None or thread_id == 0:
            return None, False
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None or topic.deleted:
                raise _bad("message thread not found")
            if topic.closed:
                raise _bad("TOPIC_CLOSED")
            return thread_id, True
        root = chat.messages.get(thread_id)
        if chat.type == "private" or root is None or root.deleted:
            raise _bad("message thread not found")
        return thread_id, False

    def _check_reply(self, chat: Chat, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        target: Any = None
        allow_without = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            target = reply.get("message_id")
            allow_without = bool(reply.get("allow_sending_without_reply", allow_without))
            other = reply.get("chat_id")
            if other is not None and str(other) != str(chat.id):
                raise _bad("cross-chat replies are not supported by the emulator")
        elif reply is not None:
            raise _bad("can't parse reply parameters JSON object")
        elif params.get("reply_to_message_id") is not None:
            target = params["reply_to_message_id"]
        if target is None:
            return None
        try:
            target = int(target)
        except (TypeError, ValueError) as exc:
            raise _bad("message to be replied not found") from exc
        msg = chat.messages.get(target)
        if msg is None or msg.deleted:
            if allow_without:
                return None
            raise _bad("message to be replied not found")
        return target

    def _check_markup(
        self, markup: Any, chat: Chat | None, *, inline_only: bool = False
    ) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram; returns the normalized markup."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays"
                )
            total = 0
            for row in rows:
                for button in row:
                    total += 1
                    self._check_inline_button(button)
            if total > 100:
                raise _bad("reply markup is too long")
            return markup if total else None
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse keyboard: keyboard must be an Array of Arrays")
            for row in rows:
                for button in row:
                    text = (
                        button
                        if isinstance(button, str)
                        else (button.get("text") if isinstance(button, dict) else None)
                    )
                    if not isinstance(text, str) or not text.strip():
                        raise _bad("keyboard button text is empty")
                    wants_phone = isinstance(button, dict) and (
                        button.get("request_contact") or button.get("request_location")
                    )
                    if wants_phone and chat is not None and chat.type != "private":
                        raise _bad("phone number can be requested in private chats only")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _check_inline_button(self, button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("BUTTON_TEXT_INVALID")
        actions = [k for k in _INLINE_ACTIONS if button.get(k) is not None]
        if len(actions) != 1:
            raise _bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in actions:
            data = button["callback_data"]
            if (
                not isinstance(data, str)
                or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
            ):
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in actions:
            url = button["url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _parse_text(
        self, raw: str, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        """Apply parse_mode/entities, trim, and enforce Telegram's length limits."""
        mode = (parse_mode or "").strip() if isinstance(parse_mode, str) else ""
        if entities is not None:
            if not isinstance(entities, list):
                raise _bad("can't parse entities: entities must be an Array")
            ents = [dict(e) for e in entities if isinstance(e, dict)]
            total = utf16_len(raw)
            for ent in ents:
                off, length = ent.get("offset"), ent.get("length")
                if (
                    not isinstance(off, int)
                    or not isinstance(length, int)
                    or off < 0
                    or length < 0
                    or off + length > total
                ):
                    raise _bad("can't parse entities: entity beyond the end of the text")
            text = raw
        elif not mode:
            text, ents = raw, []
        elif mode.lower() == "html":
            try:
                text, ents = parse_html(raw)
            except EntityParseError as err:
                raise _bad(f"can't parse entities: {err}") from err
        elif mode.lower() in ("markdown", "markdownv2"):
            raise _bad(f"parse_mode {mode} not supported by the emulator")
        else:
            raise _bad(f"unsupported parse_mode {mode}")
        text, ents = strip_text(text, ents)
        if caption:
            if utf16_len(text) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
        else:
            if not text:
                raise _bad("message text is empty")
            if utf16_len(text) > TEXT_LIMIT:
                raise _bad("message is too long")
        return text, ents

    def _rate_take(self, chat: Chat, *, edit: bool = False) -> None:
        """Consume one message from the flood-control budgets or raise 429."""
        if not self.limits.enabled:
            return
        try:
            self._rate_check(chat, edit)
        except ApiError:
            self._flood_refusals += 1
            raise

    def _rate_check(self, chat: Chat, edit: bool) -> None:
        now = time.monotonic()
        lim = self.limits
        if chat.type == "private":
            if edit:
                return  # editing a message in a person's chat puts nothing new there
            left, until = self._reply_credits.get(chat.id, (0, 0.0))
            if left > 0 and until >= now:
                self._reply_credits[chat.id] = (left - 1, until)
                return  # a reply to what the person just sent
        # The overall cap is a bucket of one second's worth: about 30 a second on average,
        # with the jitter of real networks absorbed (a rolling window would punish it).
        rate = float(lim.global_per_second)
        level, last = self._global_bucket
        level = min(rate, level + (now - last) * rate) if last else rate
        if level < 1.0:
            raise _too_many((1.0 - level) / rate)
        group_window: collections.deque[float] | None = None
        bucket: tuple[float, float] | None = None
        if chat.type == "private":
            tokens, last = self._private_buckets.get(chat.id, (lim.private_burst, now))
            tokens = min(lim.private_burst, tokens + (now - last) * lim.private_per_second)
            if tokens < 1.0:
                raise _too_many((1.0 - tokens) / lim.private_per_second)
            bucket = (tokens - 1.0, now)
        else:
            group_window = self._group_sends.setdefault(chat.id, collections.deque())
            while group_window and now - group_window[0] >= 60.0:
                group_window.popleft()
            if len(group_window) >= lim.group_per_minute:
                raise _too_many(group_window[0] + 60.0 - now)
        self._global_bucket = (level - 1.0, now)
        if bucket is not None:
            self._private_buckets[chat.id] = bucket
        if group_window is not None:
            group_window.append(now)

    def _resolve_file(self, kind: str, value: Any) -> FileInfo:
        """A file_id the emulator knows, or a fresh upload."""
        if isinstance(value, Upload):
            return self._new_file(
                kind, file_name=value.filename, mime_type=value.content_type, data=value.data
            )
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                return self._new_file(kind, file_name=value.rsplit("/", 1)[-1] or None)
            info = self.files.get(value)
            if info is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            if info.kind != kind and not (kind == "document" and info.kind != "photo"):
                raise _bad(f"can't use file of type {info.kind.title()} as {kind.title()}")
            return info
        raise _bad(f"there is no {kind} in the request")

    def _store_bot_message(self, chat: Chat, msg: Message) -> Message:
        chat.messages[msg.message_id] = msg
        self._event("new", msg)
        return msg

    def _find_message(self, params: dict[str, Any], what: str) -> tuple[Chat, Message]:
        """Locate the message an edit refers to (chat_id + message_id)."""
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the emulator")
        if params.get("chat_id") is None:
            raise _bad("chat_id is empty")
        if params.get("message_id") is None:
            raise _bad("message_id is empty")
        chat = self._chat(params["chat_id"])
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted or msg.service:
            raise _bad(f"message to {what} not found")
        if msg.from_id != self.bot.id:
            raise _bad("message can't be edited")
        return chat, msg

    def _snapshot(self, msg: Message) -> dict[str, Any]:
        return {
            "text": msg.text,
            "entities": msg.entities,
            "caption": msg.caption,
            "caption_entities": msg.caption_entities,
            "raw": msg.raw,
            "reply_markup": msg.reply_markup,
            "edit_date": msg.edit_date,
        }

    # ----------------------------------------------------------------- methods: bot & updates

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return {
            **self.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, _WEBHOOK_ACTIVE)
        offset = params.get("offset") or 0
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = max(params.get("timeout") or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            # Updates of kinds no longer allowed are dropped, as Telegram would never store them.
            self._updates = [u for u in self._updates if self._update_allowed(_update_kind(u))]
            batch = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping.is_set():
                break
            await self.wait_change(remaining)
            if self.webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
        self.last_poll_t = time.monotonic()
        return batch

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        await self._stop_webhook_delivery()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params["url"]).strip()
        if not url:  # as Telegram: an empty url removes the webhook
            return await self._m_deletewebhook(params)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise _bad("bad webhook: invalid URL") from None
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if host not in _LOCAL_HOSTS:
            if parts.scheme != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if port is not None and port not in _WEBHOOK_PORTS:
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        max_connections = params.get("max_connections")
        if max_connections is None:
            max_connections = 40
        if not 1 <= max_connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed] or None
            self._updates = [u for u in self._updates if self._update_allowed(_update_kind(u))]
        if params.get("drop_pending_updates"):
            self._updates.clear()
        # Deliveries in flight to the old address are abandoned; they are sent again.
        await self._stop_webhook_delivery()
        self.webhook = WebhookConfig(url, str(secret) if secret else None, max_connections)
        self._webhook_last_error = None
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="emulator-webhook")
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    # ----------------------------------------------------------------- webhook delivery

    @property
    def webhook_in_flight(self) -> int:
        """Deliveries waiting for the bot's answer right now."""
        return len(self._webhook_in_flight)

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        in_flight = list(self._webhook_in_flight.values())
        for pending in (task, *in_flight):
            if pending is not None:
                pending.cancel()
        await asyncio.gather(*(t for t in (task, *in_flight) if t is not None), return_exceptions=True)
        self._webhook_in_flight.clear()
        self._webhook_retry.clear()

    async def _webhook_loop(self) -> None:
        """Start every delivery that may start, then sleep until something changes."""
        hook = self.webhook
        assert hook is not None
        connector = aiohttp.TCPConnector(limit=hook.max_connections)
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self._stopping.is_set() and self.webhook is hook:
                changed = self._changed
                due = self._start_deliveries(session, hook)
                wait = 1.0 if due is None else min(1.0, max(0.0, due - time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait)

    def _start_deliveries(self, session: aiohttp.ClientSession, hook: WebhookConfig) -> float | None:
        """Start a delivery for each chat's oldest pending update (up to max_connections);
        returns when the next retry falls due, if any waits."""
        now = time.monotonic()
        due: float | None = None
        busy: set[Any] = set()
        for update in self._updates:
            if len(self._webhook_in_flight) >= hook.max_connections:
                break
            key = _delivery_key(update)
            if key in busy:
                continue  # an earlier update of this chat is not confirmed yet
            busy.add(key)
            uid = update["update_id"]
            if uid in self._webhook_in_flight:
                continue
            _failures, not_before = self._webhook_retry.get(uid, (0, 0.0))
            if not_before > now:
                due = not_before if due is None else min(due, not_before)
                continue
            self._webhook_in_flight[uid] = asyncio.create_task(
                self._deliver(session, hook, update), name=f"emulator-webhook-{uid}"
            )
        self.webhook_peak_in_flight = max(self.webhook_peak_in_flight, len(self._webhook_in_flight))
        return due

    async def _deliver(self, session: aiohttp.ClientSession, hook: WebhookConfig, update: dict[str, Any]) -> None:
        uid = update["update_id"]
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[WEBHOOK_SECRET_HEADER] = hook.secret_token
        status: int | None = None
        error = ""
        try:
            async with session.post(self._webhook_target(hook), data=json.dumps(update), headers=headers) as response:
                status = response.status
                error = f"Wrong response from the webhook: {status} {response.reason or ''}".rstrip()
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = "Connection refused" if isinstance(exc, aiohttp.ClientConnectorError) else (
                "Read timeout expired" if isinstance(exc, TimeoutError) else type(exc).__name__)
        finally:
            self._webhook_in_flight.pop(uid, None)
        now = time.monotonic()
        self.webhook_log.append({"update_id": uid, "status": status, "t": now})
        if status is not None and 200 <= status < 300:
            self.webhook_deliveries += 1
            self._webhook_retry.pop(uid, None)
            for i, pending in enumerate(self._updates):
                if pending["update_id"] == uid:
                    del self._updates[i]
                    break
            self._last_call_t = now  # the bot has it now: quiet is counted from here
        else:
            self.webhook_failures += 1
            failures = self._webhook_retry.get(uid, (0, 0.0))[0] + 1
            delay = min(self.webhook_retry_cap, self.webhook_retry_base * 2 ** (failures - 1))
            self._webhook_retry[uid] = (failures, now + delay)
            self._webhook_last_error = (int(time.time()), error)
        self._signal()

    def _webhook_target(self, hook: WebhookConfig) -> str:
        if not self.webhook_balancer:
            return hook.url
        base = self.webhook_balancer[self._balancer_next % len(self.webhook_balancer)]
        self._balancer_next += 1
        path = urlsplit(hook.url)
        return base.rstrip("/") + path.path + (f"?{path.query}" if path.query else "")

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for cmd in commands:
            name = cmd.get("command") if isinstance(cmd, dict) else None
            desc = cmd.get("description") if isinstance(cmd, dict) else None
            if not isinstance(name, str) or not _valid_command(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(_commands_key(params), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(_commands_key(params), None)
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    # ----------------------------------------------------------------- methods: messages

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        thread_id, is_topic = self._check_thread(chat, params.get("message_thread_id"))
        reply_to = self._check_reply(chat, params)
        markup = self._check_markup(params.get("reply_markup"), chat)
        raw = params["text"]
        if not isinstance(raw, str):
            raw = str(raw)
        text, entities = self._parse_text(
            raw, params.get("parse_mode"), params.get("entities"), caption=False
        )
        self._rate_take(chat)
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            text=text,
            entities=entities,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic_message=is_topic,
        )
        return self.message_json(self._store_bot_message(chat, msg))

    async def _send_media(self, method: str, params: dict[str, Any]) -> Any:
        kind = _MEDIA_METHODS[method]
        chat = self._chat(params["chat_id"])
        thread_id, is_topic = self._check_thread(chat, params.get("message_thread_id"))
        reply_to = self._check_reply(chat, params)
        markup = self._check_markup(params.get("reply_markup"), chat)
        raw = params.get("caption")
        caption: str | None = None
        caption_entities: list[dict[str, Any]] = []
        if raw is not None and raw != "":
            raw = str(raw)
            caption, caption_entities = self._parse_text(
                raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
        info = self._resolve_file(kind, params[kind])
        self._rate_take(chat)
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            caption=caption or None,
            caption_entities=caption_entities,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            # A voice or video sent with sendDocument becomes a document, as on Telegram.
            media_kind=kind,
            media=self.media_json(info, kind),
            file_id=info.file_id,
            reply_markup=markup,
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic_message=is_topic,
        )
        return self.message_json(self._store_bot_message(chat, msg))

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendPhoto", params)

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendDocument", params)

    async def _m_sendvoice(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendVoice", params)

    async def _m_sendaudio(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendAudio", params)

    async def _m_sendvideo(self, params: dict[str, Any]) -> Any:
        return await self._send_media("sendVideo", params)

    async def _m_sendcontact(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        thread_id, is_topic = self._check_thread(chat, params.get("message_thread_id"))
        reply_to = self._check_reply(chat, params)
        markup = self._check_markup(params.get("reply_markup"), chat)
        self._rate_take(chat)
        contact = {
            "phone_number": str(params["phone_number"]),
            "first_name": str(params["first_name"]),
        }
        if params.get("last_name"):
            contact["last_name"] = str(params["last_name"])
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            media_kind="contact",
            media=contact,
            reply_markup=markup,
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic_message=is_topic,
        )
        return self.message_json(self._store_bot_message(chat, msg))

    def _source_message(self, params: dict[str, Any], what: str) -> Message:
        try:
            source_chat = self._chat(params["from_chat_id"], for_sending=False)
        except ApiError as err:
            if err.code == 403:
                raise _bad("chat not found") from err
            raise
        src = source_chat.messages.get(params["message_id"])
        if src is None or src.deleted:
            raise _bad(f"message to {what} not found")
        if src.service or src.uncopyable:
            raise _bad(f"message can't be {'copied' if what == 'copy' else 'forwarded'}")
        return src

    async def _m_copymessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        src = self._source_message(params, "copy")
        thread_id, is_topic = self._check_thread(chat, params.get("message_thread_id"))
        reply_to = self._check_reply(chat, params)
        markup = self._check_markup(params.get("reply_markup"), chat)
        caption, caption_entities, raw = src.caption, src.caption_entities, _raw_of(src)
        if "caption" in params and src.media_kind not in (None, "contact"):
            raw = str(params["caption"])
            caption, caption_entities = self._parse_text(
                raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
        self._rate_take(chat)
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            text=src.text,
            entities=list(src.entities),
            caption=caption or None,
            caption_entities=list(caption_entities),
            raw=raw,
            media_kind=src.media_kind,
            media=src.media,
            file_id=src.file_id,
            reply_markup=markup,
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic_message=is_topic,
            copied_from=(src.chat_id, src.message_id),
        )
        self._store_bot_message(chat, msg)
        return {"message_id": msg.message_id}

    async def _m_forwardmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        src = self._source_message(params, "forward")
        thread_id, is_topic = self._check_thread(chat, params.get("message_thread_id"))
        self._rate_take(chat)
        if src.forward_origin is not None:
            origin = src.forward_origin
        elif src.sender_chat_id is not None:
            origin = {
                "type": "chat",
                "date": src.date,
                "sender_chat": self.chat_json(self.chats[src.sender_chat_id]),
            }
        else:
            origin = {
                "type": "user",
                "date": src.date,
                "sender_user": self.user_json(src.from_id or 0),
            }
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            text=src.text,
            entities=list(src.entities),
            caption=src.caption,
            caption_entities=list(src.caption_entities),
            raw=_raw_of(src),
            media_kind=src.media_kind,
            media=src.media,
            file_id=src.file_id,
            thread_id=thread_id,
            is_topic_message=is_topic,
            forward_origin=origin,
            copied_from=(src.chat_id, src.message_id),
        )
        return self.message_json(self._store_bot_message(chat, msg))

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        if msg.text is None:
            raise _bad("there is no text in the message to edit")
        markup = self._check_markup(params.get("reply_markup"), chat, inline_only=True)
        raw = str(params["text"])
        text, entities = self._parse_text(
            raw, params.get("parse_mode"), params.get("entities"), caption=False
        )
        if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise _bad(_NOT_MODIFIED)
        self._rate_take(chat, edit=True)
        msg.history.append(self._snapshot(msg))
        msg.text, msg.entities, msg.raw = text, entities, raw
        msg.parse_mode = params.get("parse_mode")
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        self._event("edit", msg)
        return self.message_json(msg)

    async def _m_editmessagecaption(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        if msg.media_kind in (None, "contact"):
            raise _bad("there is no caption in the message to edit")
        markup = self._check_markup(params.get("reply_markup"), chat, inline_only=True)
        raw = str(params.get("caption") or "")
        caption, entities = self._parse_text(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        if (
            (caption or None) == msg.caption
            and entities == msg.caption_entities
            and markup == msg.reply_markup
        ):
            raise _bad(_NOT_MODIFIED)
        self._rate_take(chat, edit=True)
        msg.history.append(self._snapshot(msg))
        msg.caption, msg.caption_entities, msg.raw = caption or None, entities, raw
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        self._event("edit", msg)
        return self.message_json(msg)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find_message(params, "edit")
        markup = self._check_markup(params.get("reply_markup"), chat, inline_only=True)
        if markup == msg.reply_markup or (
            markup is None
            and (msg.reply_markup is None or "inline_keyboard" not in msg.reply_markup)
        ):
            raise _bad(_NOT_MODIFIED)
        self._rate_take(chat, edit=True)
        msg.history.append(self._snapshot(msg))
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        self._event("edit", msg)
        return self.message_json(msg)

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise _bad("message to delete not found")
        if msg.from_id != self.bot.id and not self._bot_is_admin(chat):
            raise _bad("message can't be deleted")
        if msg.service and "forum_topic_created" in msg.service:
            raise _bad("message can't be deleted")
        msg.deleted = True
        self._event("delete", msg)
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        self._check_thread(chat, params.get("message_thread_id"))
        if params["action"] not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query = self.callback_queries.get(str(params["callback_query_id"]))
        now = time.monotonic()
        if query is None or query.answered or now - query.created > self.callback_timeout:
            raise _bad(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
        }
        return True

    async def _m_setmessagereaction(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        msg = chat.messages.get(params["message_id"])
        if msg is None or msg.deleted:
            raise _bad("message to react not found")
        return True

    # ----------------------------------------------------------------- methods: chats & topics

    async def _m_getchat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        out = {
            **self.chat_json(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return out

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        user_id = params["user_id"]
        if user_id not in self.users:
            raise _bad("user not found")
        if chat.type == "private" and user_id not in (chat.id, self.bot.id):
            raise _bad("user not found")
        return self._member_json(chat, user_id)

    async def _m_getchatadministrators(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        return [
            self._member_json(chat, uid)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    async def _m_leavechat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"], for_sending=False)
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
        self.set_member_status(chat.id, self.bot.id, "left")
        return True

    def _forum_for_topics(self, params: dict[str, Any]) -> Chat:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        if not self._bot_is_admin(chat):
            raise _bad("not enough rights to manage topics")
        return chat

    def _topic(self, chat: Chat, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise _bad("TOPIC_ID_INVALID")
        return topic

    def _topic_service(self, chat: Chat, topic: Topic, service: dict[str, Any]) -> None:
        msg = Message(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            thread_id=topic.thread_id,
            is_topic_message=True,
            service=service,
        )
        chat.messages[msg.message_id] = msg

    async def _m_createforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise _bad("the chat is not a forum")
        if not self._bot_is_admin(chat):
            raise _bad("not enough rights to create a topic")
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise _bad("TOPIC_NAME_INVALID")
        color = params.get("icon_color", 7322096)
        if color not in TOPIC_ICON_COLORS:
            raise _bad("invalid icon_color specified")
        thread_id = chat.take_message_id()
        topic = Topic(thread_id, name, color, params.get("icon_custom_emoji_id") or None)
        chat.topics[thread_id] = topic
        created: dict[str, Any] = {"name": name, "icon_color": color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        chat.messages[thread_id] = Message(
            chat_id=chat.id,
            message_id=thread_id,
            date=int(time.time()),
            from_id=self.bot.id,
            thread_id=thread_id,
            is_topic_message=True,
            service={"forum_topic_created": created},
        )
        return {"message_thread_id": thread_id, **created}

    async def _m_editforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if name is not None and not 1 <= len(str(name)) <= 128:
            raise _bad("TOPIC_NAME_INVALID")
        changed: dict[str, Any] = {}
        if name is not None and str(name) != topic.name:
            topic.name = changed["name"] = str(name)
        if emoji is not None and (emoji or None) != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = emoji or None
            changed["icon_custom_emoji_id"] = emoji
        if not changed:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._topic_service(chat, topic, {"forum_topic_edited": changed})
        return True

    async def _m_closeforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        self._topic_service(chat, topic, {"forum_topic_closed": {}})
        return True

    async def _m_reopenforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        self._topic_service(chat, topic, {"forum_topic_reopened": {}})
        return True

    async def _m_deleteforumtopic(self, params: dict[str, Any]) -> Any:
        chat = self._forum_for_topics(params)
        topic = self._topic(chat, params["message_thread_id"])
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id and not msg.deleted:
                msg.deleted = True
                if msg.from_id == self.bot.id and not msg.service:
                    self._event("delete", msg)
        return True

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        info = self.files.get(str(params["file_id"]))
        if info is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": info.file_id,
            "file_unique_id": info.file_unique_id,
            "file_size": info.size,
            "file_path": self._file_path(info),
        }

    @staticmethod
    def _file_path(info: FileInfo) -> str:
        return f"{info.kind}s/{info.file_unique_id}"


# --------------------------------------------------------------------- module helpers


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)


def command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading /command (with optional @botname) as a bot_command entity."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    if not command[1:].split("@", 1)[0]:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def _raw_of(msg: Message) -> str | None:
    """What a copy of this message shows as its source text (persons send no markup)."""
    if msg.raw is not None:
        return msg.raw
    return msg.text if msg.text is not None else msg.caption


def _update_kind(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")


def _delivery_key(update: dict[str, Any]) -> Any:
    """The chat an update belongs to (a webhook gets one chat's updates one at a time)."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
        sender = value.get("from")
        if isinstance(sender, dict):
            return f"user {sender.get('id')}"
    return "other"


def _valid_command(name: str) -> bool:
    return (
        1 <= len(name) <= 32
        and all(c.islower() or c.isdigit() or c == "_" for c in name)
        and name.isascii()
    )


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


def _coerce_value(name: str, value: Any, uploads: dict[str, Upload]) -> Any:
    """Parse one wire value by its Bot API type (form fields arrive as strings)."""
    if name in _FILE_FIELDS:
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value[len("attach://") :])
            if upload is None:
                raise _bad(f"can't find attached file {value!r}")
            return upload
        return value
    if name in _CHAT_ID_FIELDS:
        if isinstance(value, bool):
            raise _bad(f"{name} is empty")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return text
    if name in _INT_FIELDS:
        if isinstance(value, bool) or isinstance(value, float | list | dict):
            raise _bad(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text == "":
            return None
        if not text.lstrip("-").isdigit():
            raise _bad(f'field "{name}" must be of type Integer')
        return int(text)
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")
    if name in _JSON_FIELDS:
        if isinstance(value, str):
            if value.strip() == "":
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                what = "reply keyboard markup" if name == "reply_markup" else name
                raise _bad(f"can't parse {what} JSON object") from exc
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ({"upload": v.filename, "size": len(v.data)} if isinstance(v, Upload) else v)
        for k, v in params.items()
    }


async def serve_forever(port: int, latency: float, token: str) -> None:
    """Run a standalone emulator with demo people until cancelled (Ctrl-C)."""
    emu = Emulator(token, latency=latency)
    await emu.start(port=port)
    aysel = emu.add_user("Aysel", language_code="az", started=True)
    ivan = emu.add_user("Ivan", language_code="ru", started=True)
    reza = emu.add_user("Reza", language_code="fa", started=True)
    staff = emu.add_user("Kamala", language_code="az", started=True)
    group = emu.add_group("Caseworkers", forum=True, admins=[staff])
    print(f"Bot API emulator: BOT_API_URL={emu.base_url} BOT_TOKEN={emu.token}", flush=True)
    print(
        f"demo people: Aysel={aysel.user_id} Ivan={ivan.user_id} Reza={reza.user_id}; "
        f"staff Kamala={staff.user_id} in STAFF_CHAT_ID={group.chat_id}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()
