"""Test drivers: act as people and caseworkers against the emulator and watch what the bot does."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.botapi.core import EmulatorCore
from bot.sandbox.botapi.state import ANONYMOUS_ADMIN_ID, Chat, Message, User

__all__ = ["BotMessage", "Button", "GroupDriver", "Predicate", "Topic", "UserDriver"]


@dataclass(frozen=True)
class Button:
    """An inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Topic:
    """A forum topic as a test sees it."""

    thread_id: int
    name: str
    closed: bool
    deleted: bool


class BotMessage:
    """A live view of a message the bot sent: edits and deletion show up here."""

    def __init__(self, emu: EmulatorCore, msg: Message) -> None:
        self._emu = emu
        self._msg = msg

    @property
    def message_id(self) -> int:
        """Message id within its chat."""
        return self._msg.message_id

    @property
    def chat_id(self) -> int:
        """Chat the message is in."""
        return self._msg.chat_id

    @property
    def text(self) -> str:
        """Plain text (or caption) as the person sees it: tags stripped, entities decoded."""
        return self._msg.text if self._msg.text is not None else (self._msg.caption or "")

    @property
    def html(self) -> str | None:
        """Text or caption exactly as the bot sent it."""
        return self._msg.raw

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Formatting entities of the text or caption."""
        return self._msg.entities if self._msg.text is not None else self._msg.caption_entities

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard rows (empty if none)."""
        markup = self._msg.reply_markup or {}
        return [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
            for row in markup.get("inline_keyboard", [])
        ]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Reply keyboard rows attached to this message, if any."""
        markup = self._msg.reply_markup or {}
        if "keyboard" not in markup:
            return None
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in markup["keyboard"]]

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        """The raw reply_markup."""
        return self._msg.reply_markup

    @property
    def thread_id(self) -> int | None:
        """Forum topic (message_thread_id) or None."""
        return self._msg.thread_id

    @property
    def media_kind(self) -> str | None:
        """photo, document, voice, audio, video, contact or None for text."""
        return self._msg.media_kind

    @property
    def file_id(self) -> str | None:
        """file_id of the media, if any."""
        return self._msg.file_id

    @property
    def reply_to(self) -> int | None:
        """Id of the message this one explicitly replies to."""
        return self._msg.reply_to

    @property
    def deleted(self) -> bool:
        """Whether the bot (or a topic deletion) removed it."""
        return self._msg.deleted

    @property
    def edits(self) -> int:
        """How many times the bot edited it."""
        return len(self._msg.history)

    @property
    def forwarded(self) -> bool:
        """Whether it was sent with forwardMessage."""
        return self._msg.forward_origin is not None

    @property
    def copied_from(self) -> tuple[int, int] | None:
        """(chat_id, message_id) of the original, for copies and forwards."""
        return self._msg.copied_from

    def button_labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [b.text for row in self.buttons for b in row]

    def find_button(self, label_substring: str) -> Button:
        """The first inline button whose label contains the substring."""
        for row in self.buttons:
            for button in row:
                if label_substring in button.text:
                    return button
        raise AssertionError(
            f"no button containing {label_substring!r} in message {self.message_id} "
            f"({self.text[:80]!r}); buttons: {self.button_labels()}"
        )

    def __repr__(self) -> str:
        extra = f" [{self.media_kind}]" if self.media_kind else ""
        labels = f" buttons={self.button_labels()}" if self.buttons else ""
        thread = f" thread={self.thread_id}" if self.thread_id else ""
        return (
            f"<BotMessage {self.chat_id}/{self.message_id}{thread}{extra} "
            f"{self.text[:100]!r}{labels}>"
        )


Predicate = Callable[[BotMessage], bool] | str | None


def _matches(predicate: Predicate, msg: BotMessage) -> bool:
    if predicate is None:
        return True
    if isinstance(predicate, str):
        return predicate in msg.text
    return bool(predicate(msg))


class _ChatWatcher:
    """Shared waiting logic: a cursor into the emulator's bot events for one chat."""

    def __init__(self, emu: EmulatorCore, chat_id: int) -> None:
        self._emu = emu
        self._watch_chat = chat_id
        self._cursor = emu.event_seq
        self._marked_at = time.monotonic()

    def _mark(self) -> None:
        self._cursor = self._emu.event_seq
        self._marked_at = time.monotonic()

    def _bot_messages(self, thread_id: int | None = None) -> list[BotMessage]:
        chat = self._emu.chats[self._watch_chat]
        return [
            BotMessage(self._emu, m)
            for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
            if m.from_id == self._emu.bot.id
            and not m.deleted
            and not m.service
            and (thread_id is None or m.thread_id == thread_id)
        ]

    def _scan(self, predicate: Predicate, thread_id: int | None) -> BotMessage | None:
        chat = self._emu.chats[self._watch_chat]
        for event in self._emu.events[self._cursor :]:
            if event.chat_id != self._watch_chat or event.kind == "delete":
                continue
            msg = chat.messages[event.message_id]
            if msg.deleted or (thread_id is not None and msg.thread_id != thread_id):
                continue
            view = BotMessage(self._emu, msg)
            if _matches(predicate, view):
                self._cursor = event.seq
                return view
        return None

    async def _wait(self, predicate: Predicate, thread_id: int | None, within: float) -> BotMessage:
        deadline = time.monotonic() + within
        start_cursor = self._cursor
        while True:
            found = self._scan(predicate, thread_id)
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    self._timeout_report(predicate, thread_id, within, start_cursor)
                )
            await self._emu.wait_change(remaining)

    def _timeout_report(
        self, predicate: Predicate, thread_id: int | None, timeout: float, start: int
    ) -> str:
        emu = self._emu
        chat = emu.chats[self._watch_chat]
        what = predicate if isinstance(predicate, str) or predicate is None else "<predicate>"
        lines = [
            f"no bot message matching {what!r} in chat {self._watch_chat}"
            + (f" thread {thread_id}" if thread_id is not None else "")
            + f" within {timeout}s; since the last action the bot did:"
        ]
        seen = False
        for event in emu.events[start:]:
            if event.chat_id != self._watch_chat:
                continue
            seen = True
            msg = chat.messages[event.message_id]
            lines.append(f"  {event.kind}: {BotMessage(emu, msg)!r}")
        if not seen:
            lines.append("  (nothing in this chat)")
            earlier = self._bot_messages(thread_id)[-3:]
            if earlier:
                lines.append(f"  (before that, latest bot messages here: {earlier})")
        errors = [
            e
            for e in emu.error_log
            if str(e["params"].get("chat_id")) == str(self._watch_chat)
            and e["t"] >= self._marked_at
        ]
        for err in errors[-5:]:
            lines.append(f"  FAILED {err['method']}: {err['error_code']} {err['description']}")
        if emu.webhook is not None:
            lines.append(
                f"  (webhook: {emu.webhook_deliveries} update(s) delivered, "
                f"{emu.webhook_failures} refused or failed)"
            )
            if emu.undelivered_updates:
                lines.append(
                    f"  ({emu.undelivered_updates} update(s) not yet confirmed by the bot)"
                )
        else:
            if emu.last_poll_t is None:
                lines.append("  (the bot never called getUpdates)")
            if emu.undelivered_updates:
                lines.append(f"  ({emu.undelivered_updates} update(s) not yet fetched by the bot)")
        return "\n".join(lines)


class UserDriver(_ChatWatcher):
    """A person talking to the bot (and, if a caseworker, acting in groups)."""

    def __init__(
        self, emu: EmulatorCore, user: User, groups: Mapping[int, GroupDriver] | None = None
    ) -> None:
        super().__init__(emu, user.id)
        self.user = user
        self._groups = groups if groups is not None else {}  # drivers of the groups, by chat

    @property
    def user_id(self) -> int:
        """Telegram user id."""
        return self.user.id

    @property
    def chat_id(self) -> int:
        """Private chat id (== user id)."""
        return self.user.id

    @property
    def first_name(self) -> str:
        """First name."""
        return self.user.first_name

    @property
    def language_code(self) -> str | None:
        """Telegram client language."""
        return self.user.language_code

    @language_code.setter
    def language_code(self, value: str | None) -> None:
        self.user.language_code = value

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery replies to this person's presses, oldest first."""
        return [
            q.answer
            for q in self._emu.callback_queries.values()
            if q.user_id == self.user_id and q.answer is not None
        ]

    # -- private chat actions

    async def send(self, text: str) -> int:
        """Write text to the bot; a leading /command gets a bot_command entity."""
        self._mark()
        msg = self._emu.person_message(self.user_id, self.chat_id, text=text)
        return msg.message_id

    async def tap(self, label: str) -> int:
        """Tap a reply keyboard button (its text is sent; a contact button shares the phone)."""
        keyboard = self.reply_keyboard_markup()
        for row in (keyboard or {}).get("keyboard", []):
            for button in row:
                text = button if isinstance(button, str) else button["text"]
                if label in text:
                    if isinstance(button, dict) and button.get("request_contact"):
                        return await self.send_contact(self.user.phone or "+994500000000")
                    return await self.send(text)
        raise AssertionError(f"no reply keyboard button containing {label!r}; keyboard: {keyboard}")

    async def send_photo(self, caption: str = "") -> int:
        """Send a photo (a fresh file_id) with an optional caption."""
        self._mark()
        info = self._emu.new_upload_file("photo", mime_type="image/jpeg")
        return self._emu.person_message(
            self.user_id, self.chat_id, media=info, caption=caption
        ).message_id

    async def send_voice(self) -> int:
        """Send a voice note."""
        self._mark()
        info = self._emu.new_upload_file("voice", mime_type="audio/ogg")
        return self._emu.person_message(self.user_id, self.chat_id, media=info).message_id

    async def send_document(self, file_name: str = "doc.pdf", caption: str = "") -> int:
        """Send a document."""
        self._mark()
        mime = "application/pdf" if file_name.endswith(".pdf") else "application/octet-stream"
        info = self._emu.new_upload_file("document", file_name=file_name, mime_type=mime)
        return self._emu.person_message(
            self.user_id, self.chat_id, media=info, caption=caption
        ).message_id

    async def send_contact(self, phone: str) -> int:
        """Share a contact (their own, as the request_contact button does)."""
        self._mark()
        contact = {"phone_number": phone, "first_name": self.first_name, "user_id": self.user_id}
        if self.user.last_name:
            contact["last_name"] = self.user.last_name
        return self._emu.person_message(self.user_id, self.chat_id, contact=contact).message_id

    async def edit(self, message_id: int, text: str) -> None:
        """Edit one of this person's text messages (the bot gets edited_message)."""
        self._mark()
        self._emu.person_edit(self.user_id, self.chat_id, message_id, text)

    async def press(self, label: str, message: BotMessage | None = None) -> str:
        """Press the inline button containing `label` (default: latest message with buttons)."""
        target = message or self._latest_with_buttons(self._bot_messages())
        return self._press(target, label)

    async def press_data(self, callback_data: str, message_id: int) -> str:
        """Press with arbitrary callback data (stale or forged buttons)."""
        self._mark()
        return self._emu.person_press(self.user_id, self.chat_id, message_id, callback_data)

    def _press(self, target: BotMessage, label: str) -> str:
        if target.deleted:
            raise AssertionError(f"message {target.message_id} was deleted; cannot press on it")
        button = target.find_button(label)
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} is a URL button, not a callback button")
        if target.chat_id == self.chat_id:
            self._mark()
        else:
            self._groups[target.chat_id]._mark()
        return self._emu.person_press(
            self.user_id, target.chat_id, target.message_id, button.callback_data
        )

    @staticmethod
    def _latest_with_buttons(messages: list[BotMessage]) -> BotMessage:
        for msg in reversed(messages):
            if msg.buttons:
                return msg
        raise AssertionError(f"no bot message with inline buttons; messages: {messages[-5:]}")

    def block_bot(self) -> None:
        """Block the bot: every send to this person now fails with 403."""
        self._emu.set_blocked(self.user_id, True)

    def unblock_bot(self) -> None:
        """Unblock the bot."""
        self._emu.set_blocked(self.user_id, False)

    def messages(self) -> list[BotMessage]:
        """Bot messages in this private chat, oldest first (deleted ones left out)."""
        return self._bot_messages()

    def last(self) -> BotMessage:
        """The latest bot message in this private chat."""
        msgs = self._bot_messages()
        if not msgs:
            raise AssertionError(f"the bot has sent nothing to {self.first_name}")
        return msgs[-1]

    def reply_keyboard_markup(self) -> dict[str, Any] | None:
        """The reply keyboard currently shown (latest keyboard not removed since)."""
        for msg in reversed(self._bot_messages()):
            markup = msg.reply_markup or {}
            if "keyboard" in markup:
                return markup
            if markup.get("remove_keyboard"):
                return None
        return None

    async def wait_for(
        self,
        predicate: Predicate = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the drivers' documented API
    ) -> BotMessage:
        """Wait for a new or edited bot message here (since the last wait or action)."""
        return await self._wait(predicate, None, timeout)

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until the bot has made no call for `quiet` seconds."""
        await self._emu.wait_idle(quiet, timeout)

    # -- group actions

    async def send_in(
        self,
        group: GroupDriver,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Write in a group (optionally in a topic or as a reply); must be a member."""
        status = group.chat.members.get(self.user_id, "left")
        if status not in ("creator", "administrator", "member"):
            raise AssertionError(f"{self.first_name} is not a member of {group.title!r} ({status})")
        group._mark()
        msg = self._emu.person_message(
            self.user_id,
            group.chat_id,
            text=text,
            thread_id=thread_id,
            reply_to=reply_to,
        )
        return msg.message_id

    async def press_in(
        self, group: GroupDriver, label: str, message: BotMessage | None = None
    ) -> str:
        """Press an inline button on a bot message in a group (default: the latest with buttons)."""
        target = message or self._latest_with_buttons(group.messages())
        if target.chat_id != group.chat_id:
            raise AssertionError("that message is not in this group")
        group._mark()
        return self._emu.person_press(
            self.user_id, target.chat_id, target.message_id, _callback_of(target, label)
        )

    def __repr__(self) -> str:
        return f"<UserDriver {self.first_name} id={self.user_id}>"


class GroupDriver(_ChatWatcher):
    """A supergroup (the caseworkers' chat): membership, topics, what the bot posted."""

    def __init__(self, emu: EmulatorCore, chat: Chat) -> None:
        super().__init__(emu, chat.id)
        self.chat = chat

    @property
    def chat_id(self) -> int:
        """Chat id (negative, -100...)."""
        return self.chat.id

    @property
    def title(self) -> str:
        """Group title."""
        return self.chat.title or ""

    @property
    def is_forum(self) -> bool:
        """Whether topics are on."""
        return self.chat.is_forum

    def add_member(self, user: UserDriver, status: str = "member") -> None:
        """Add someone (or change their status: administrator, creator, kicked...)."""
        self._emu.set_member_status(self.chat_id, user.user_id, status)

    def remove_member(self, user: UserDriver) -> None:
        """Someone leaves the group."""
        self._emu.set_member_status(self.chat_id, user.user_id, "left")

    def remove_bot(self) -> None:
        """Kick the bot out of the group."""
        self._emu.set_member_status(self.chat_id, self._emu.bot.id, "kicked")

    def status_of(self, user: UserDriver) -> str:
        """Someone's membership status here."""
        return self.chat.members.get(user.user_id, "left")

    def topics(self) -> list[Topic]:
        """All topics ever created, deleted ones included."""
        return [
            Topic(t.thread_id, t.name, t.closed, t.deleted)
            for t in sorted(self.chat.topics.values(), key=lambda t: t.thread_id)
        ]

    def topic(self, thread_id: int) -> Topic:
        """One topic by id."""
        t = self.chat.topics[thread_id]
        return Topic(t.thread_id, t.name, t.closed, t.deleted)

    def delete_topic(self, thread_id: int) -> None:
        """A human admin deletes a topic and everything in it."""
        self._emu.set_topic_state(self.chat_id, thread_id, deleted=True)

    def close_topic(self, thread_id: int) -> None:
        """A human admin closes a topic."""
        self._emu.set_topic_state(self.chat_id, thread_id, closed=True)

    def reopen_topic(self, thread_id: int) -> None:
        """A human admin reopens a topic."""
        self._emu.set_topic_state(self.chat_id, thread_id, closed=False)

    def messages(self, thread_id: int | None = None) -> list[BotMessage]:
        """Bot messages here (service messages left out), optionally in one topic."""
        return self._bot_messages(thread_id)

    async def wait_for(
        self,
        predicate: Predicate = None,
        *,
        thread_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the drivers' documented API
    ) -> BotMessage:
        """Wait for a new or edited bot message here (since the last wait or action)."""
        return await self._wait(predicate, thread_id, timeout)

    async def send_as_anonymous_admin(self, text: str, *, thread_id: int | None = None) -> int:
        """Post as an anonymous admin: from GroupAnonymousBot, sender_chat = this group."""
        self._mark()
        msg = self._emu.person_message(
            ANONYMOUS_ADMIN_ID,
            self.chat_id,
            text=text,
            thread_id=thread_id,
            sender_chat_id=self.chat_id,
        )
        return msg.message_id

    def __repr__(self) -> str:
        return f"<GroupDriver {self.title!r} id={self.chat_id}>"


def _callback_of(target: BotMessage, label: str) -> str:
    button = target.find_button(label)
    if button.callback_data is None:
        raise AssertionError(f"button {button.text!r} is a URL button, not a callback button")
    return button.callback_data
