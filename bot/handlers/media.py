"""What kind of message a person or caseworker sent, as the case core records it."""

from __future__ import annotations

from telegram import Message


def media_of(message: Message) -> tuple[str, str | None]:
    """The kind of a message and the file id Telegram gave it (None for text).

    "other" is what Telegram cannot copy into the staff chat (service messages such as a
    pin or web-app data, stories, games, invoices, giveaways, paid media): it is described
    to the caseworker instead.
    """
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in ("voice", "document", "video", "audio", "video_note", "sticker", "animation"):
        media = getattr(message, kind, None)
        if media is not None:
            return kind, media.file_id
    if message.poll is not None and message.poll.type == "quiz":
        return "other", None  # Telegram copies a quiz only if the bot knows its answer
    for kind in ("venue", "location", "contact", "poll", "dice"):  # venue before location
        if getattr(message, kind, None) is not None:
            return kind, None
    if message.text is not None:
        return "text", None
    return "other", None
