"""The emulator's data model: people, chats, topics, messages, files, presses and bot events."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS_ADMIN_ID = 1087968824  # Telegram's GroupAnonymousBot
# set_member_status(..., RESTRICTED_LEFT): restricted, then left; getChatMember says
# status "restricted" with is_member false.
RESTRICTED_LEFT = "restricted_left"
ACTIVE_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
ADMIN_STATUSES = ("creator", "administrator")
DEFAULT_TOPIC_COLOR = 7322096

UNCOPYABLE_FIELDS = frozenset({"invoice", "giveaway", "giveaway_winners", "paid_media"})
# Fields of a message that are its content as a person sends it (the rest are metadata or,
# when present, make it a service message).
PERSON_CONTENT_FIELDS = frozenset(
    {
        "text", "animation", "audio", "document", "paid_media", "photo", "sticker", "story",
        "video", "video_note", "voice", "checklist", "contact", "dice", "game", "poll", "venue",
        "location", "invoice", "giveaway", "giveaway_winners",
    }
)  # fmt: skip
MESSAGE_META_FIELDS = frozenset(
    {
        "message_id", "message_thread_id", "direct_messages_topic", "from", "sender_chat",
        "sender_boost_count", "sender_business_bot", "sender_tag", "date",
        "business_connection_id", "chat", "forward_origin", "is_topic_message",
        "is_automatic_forward", "reply_to_message", "external_reply", "quote", "reply_to_story",
        "reply_to_checklist_task_id", "via_bot", "edit_date", "has_protected_content",
        "is_from_offline", "is_paid_post", "media_group_id", "author_signature",
        "paid_star_count", "entities", "link_preview_options", "suggested_post_info",
        "effect_id", "caption", "caption_entities", "show_caption_above_media",
        "has_media_spoiler", "reply_markup", "paid_message_price", "suggested_post_parameters",
    }
)  # fmt: skip


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
    icon_color: int = DEFAULT_TOPIC_COLOR
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


@dataclass(frozen=True)
class WebhookConfig:
    """What setWebhook set: where updates are posted and with which secret."""

    url: str
    secret_token: str | None
    max_connections: int
