"""Drivers act as people and caseworkers; a real PTB Application runs against the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import Emulator
from tests.narrow import present


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("📄 Sənədlər", callback_data="m:docs")],
         [InlineKeyboardButton("Sayt", url="https://migration.gov.az")]]
    )  # fmt: skip
    await context.bot.send_message(
        update.effective_chat.id, "<b>Xoş gəlmisiniz!</b>", parse_mode="HTML", reply_markup=markup
    )


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("✓")
    await query.edit_message_text(f"Bölmə: {query.data}")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None
    await asyncio.sleep(0.05)
    await msg.reply_text(f"echo: {msg.text}", do_quote=True)


@pytest_asyncio.fixture
async def echo_app(emulator: Emulator) -> AsyncIterator[Application]:
    """A tiny real PTB application polling the emulator."""
    emulator.limits.enabled = False
    app = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_a_person_talks_to_a_real_ptb_application(
    emulator: Emulator, echo_app: Application
) -> None:
    aysel = emulator.add_user("Aysel", language_code="az")
    await aysel.send("/start")
    welcome = await aysel.wait_for("Xoş gəlmisiniz")
    assert welcome.html == "<b>Xoş gəlmisiniz!</b>"
    assert welcome.button_labels() == ["📄 Sənədlər", "Sayt"]
    assert welcome.find_button("Sayt").url == "https://migration.gov.az"

    await aysel.press("Sənədlər")
    edited = await aysel.wait_for(lambda m: m.text.startswith("Bölmə"))
    assert edited.message_id == welcome.message_id and welcome.text == "Bölmə: m:docs"
    await aysel.wait_idle(quiet=0.1)
    assert aysel.callback_answers == [
        {"text": "✓", "show_alert": False, "url": None, "cache_time": None}
    ]

    await aysel.send("salam")
    reply = await aysel.wait_for("echo:")
    assert reply.text == "echo: salam" and reply.reply_to is not None
    assert [m.text for m in aysel.messages()] == ["Bölmə: m:docs", "echo: salam"]


async def test_wait_for_is_event_driven(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Aysel")
    await user.send("/start")

    async def slow_bot() -> None:
        await asyncio.sleep(0.15)
        await tg_bot.send_message(user.chat_id, "first")
        await tg_bot.send_message(user.chat_id, "second")

    task = asyncio.create_task(slow_bot())
    started = time.monotonic()
    second = await user.wait_for("second", timeout=3)
    assert second.text == "second" and time.monotonic() - started < 1
    await task
    # The cursor moved past "second": an earlier message no longer matches.
    with pytest.raises(AssertionError, match="no bot message matching 'first'"):
        await user.wait_for("first", timeout=0.2)


async def test_wait_for_timeout_explains_what_happened(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = emulator.add_user("Aysel")
    await user.send("/start")
    await tg_bot.send_message(user.chat_id, "Menu")
    with pytest.raises(telegram.error.BadRequest):
        await tg_bot.send_message(user.chat_id, "a < b", parse_mode="HTML")
    with pytest.raises(AssertionError) as err:
        await user.wait_for("Welcome", timeout=0.2)
    report = str(err.value)
    assert "'Menu'" in report
    assert "FAILED sendMessage: 400 Bad Request: can't parse entities" in report


async def test_find_button_lists_labels(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Aysel")
    await user.send("/start")
    await tg_bot.send_message(
        user.chat_id,
        "Menu",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]]),
    )
    with pytest.raises(AssertionError, match=r"\['Yes'\]"):
        user.last().find_button("No")
    with pytest.raises(AssertionError, match="no button containing 'No'"):
        await user.press("No")


async def test_person_actions_become_updates(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Reza", language_code="fa")
    mid = await user.send("/start@helpdesk_test_bot deep")
    await user.edit(mid, "/start")
    await user.send_voice()
    await user.send_document("pasport.pdf", caption="scan")
    await user.send_contact("+994501234567")
    updates = await tg_bot.get_updates()
    first, edit, voice, doc, contact = updates
    assert first.message is not None and first.message.from_user is not None
    assert edit.edited_message is not None and voice.message is not None
    assert voice.message.voice is not None
    assert doc.message is not None and doc.message.document is not None
    assert contact.message is not None and contact.message.contact is not None
    assert (
        first.message.entities[0].type == "bot_command" and first.message.entities[0].length == 24
    )
    assert first.message.from_user.language_code == "fa"
    assert edit.edited_message.text == "/start" and edit.edited_message.message_id == mid
    assert voice.message.voice.mime_type == "audio/ogg"
    assert doc.message.document.file_name == "pasport.pdf" and doc.message.caption == "scan"
    assert contact.message.contact.phone_number == "+994501234567"
    assert contact.message.contact.user_id == user.user_id


async def test_group_actions_topics_and_anonymous_admin(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    kamala, outsider = emulator.add_user("Kamala"), emulator.add_user("Outsider")
    staff = emulator.add_group("Caseworkers", members=[kamala])
    tid = (await tg_bot.create_forum_topic(staff.chat_id, "Case #3")).message_thread_id
    await tg_bot.send_message(
        staff.chat_id, "Case #3", message_thread_id=tid,
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Claim", callback_data="c:3:claim")]]
        ),
    )  # fmt: skip
    card = await staff.wait_for("Case #3", thread_id=tid)
    await kamala.send_in(staff, "I'll take it", thread_id=tid)
    qid = await kamala.press_in(staff, "Claim")
    await staff.send_as_anonymous_admin("note from the boss")
    with pytest.raises(AssertionError, match="not a member"):
        await outsider.send_in(staff, "let me in")
    topic_msg, press, anon = await tg_bot.get_updates()
    # In a forum topic every message "replies" to the topic's creation message, as on Telegram.
    assert topic_msg.message is not None and topic_msg.message.reply_to_message is not None
    assert topic_msg.message.reply_to_message.forum_topic_created is not None
    assert press.callback_query is not None and press.callback_query.message is not None
    assert anon.message is not None and anon.message.sender_chat is not None
    assert anon.message.from_user is not None
    assert topic_msg.message.is_topic_message and topic_msg.message.message_thread_id == tid
    assert topic_msg.message.reply_to_message.forum_topic_created.name == "Case #3"
    assert press.callback_query.id == qid and press.callback_query.data == "c:3:claim"
    assert press.callback_query.message.message_id == card.message_id
    assert anon.message.sender_chat.id == staff.chat_id
    assert anon.message.from_user.username == "GroupAnonymousBot"


async def test_privacy_mode_hides_chatter_from_a_non_admin_bot(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    kamala = emulator.add_user("Kamala")
    group = emulator.add_group("Chat", forum=False, members=[kamala], bot_is_admin=False)
    await kamala.send_in(group, "just chatting")
    await kamala.send_in(group, "/queue")
    assert [present(u.message).text for u in await tg_bot.get_updates()] == ["/queue"]


async def test_membership_and_blocking_updates(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    await tg_bot.get_updates(allowed_updates=["message", "chat_member", "my_chat_member"])
    kamala = emulator.add_user("Kamala")
    group = emulator.add_group("Staff")
    group.add_member(kamala)
    group.remove_member(kamala)
    kamala.block_bot()
    kinds = [
        present(u.chat_member or u.my_chat_member).new_chat_member.status
        for u in await tg_bot.get_updates()
    ]
    assert kinds == ["member", "left", "kicked"]
    assert group.status_of(kamala) == "left"


async def test_forged_press_and_wait_idle(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Aysel")
    await user.send("/start")
    sent = await tg_bot.send_message(user.chat_id, "old menu")
    qid = await user.press_data("m:removed-node", sent.message_id)
    [_, update] = await tg_bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == qid and update.callback_query.data == "m:removed-node"
    with pytest.raises(AssertionError, match="not idle"):
        await user.wait_idle(quiet=5, timeout=0.2)
    await user.wait_idle(quiet=0.05, timeout=2)
