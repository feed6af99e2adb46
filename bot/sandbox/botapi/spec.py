"""What the emulator knows of the Bot API itself: methods, their required parameters, wire
types, limits and Telegram's error texts.

REQUIRED is checked against the published spec (api.json) by tests/sandbox.
"""

from __future__ import annotations

import re

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
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip
RESTRICTED_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
    "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
    "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
    "can_react_to_messages",
)  # fmt: skip

# Wire types of the parameters this emulator understands (from the Bot API spec, api.json).
INT_FIELDS = frozenset(
    {
        "cache_time", "direct_messages_topic_id", "duration", "height", "icon_color", "limit",
        "max_connections", "message_id", "message_thread_id", "offset", "start_timestamp",
        "timeout", "user_id", "reply_to_message_id", "video_start_timestamp", "width",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset(
    {
        "allow_paid_broadcast", "disable_content_type_detection", "disable_notification",
        "drop_pending_updates", "has_spoiler", "is_big", "protect_content", "return_bots",
        "show_alert", "show_caption_above_media", "supports_streaming", "for_channels",
        "allow_sending_without_reply",
    }
)  # fmt: skip
JSON_FIELDS = frozenset(
    {
        "allowed_updates", "caption_entities", "commands", "entities", "link_preview_options",
        "reaction", "reply_markup", "reply_parameters", "rich_message", "scope",
        "suggested_post_parameters", "message_ids",
    }
)  # fmt: skip
CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})
# Required parameters that may be empty strings (and mean something then).
EMPTY_ALLOWED = frozenset({("setWebhook", "url")})
FILE_FIELDS = frozenset({"photo", "document", "voice", "audio", "video", "thumbnail", "cover"})
# Required parameters per method, as the spec's "required" flags (plus text for edits).
REQUIRED: dict[str, tuple[str, ...]] = {
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
MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
# A local Bot API server posts to any port and over plain http; Telegram only over HTTPS to
# the ports above. The emulator stands for the former on this machine, the latter elsewhere.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
