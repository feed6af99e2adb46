"""The emulator speaks the Bot API wire format and is as strict as Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.sandbox import Emulator, RateLimits, serve_forever
from bot.sandbox.driver import UserDriver
from bot.sandbox.emulator import _REQUIRED
from tests.narrow import present

API_JSON = Path("/work/shared/telegram-bot-api/api.json")


def seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=d)] for t, d in labels_and_data]
    )


async def raw_call(
    emu: Emulator, method: str, *, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    url = f"{emu.base_url}{token or emu.token}/{method}"
    async with httpx.AsyncClient() as client:
        resp = await client.post(url, json=params)
    return resp.status_code, resp.json()


async def started_user(emu: Emulator, name: str = "Aysel", **kw: Any) -> UserDriver:
    user = emu.add_user(name, **kw)
    await user.send("/start")
    return user


# ----------------------------------------------------------------------------- basics


async def test_get_me_describes_the_bot(tg_bot: telegram.Bot) -> None:
    me = await tg_bot.get_me()
    assert me.id == 123456
    assert me.is_bot and me.username == "helpdesk_test_bot"


async def test_wrong_token_is_unauthorized(emulator: Emulator) -> None:
    status, body = await raw_call(emulator, "getMe", token="999:WRONG")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_not_found_and_names_are_case_insensitive(
    emulator: Emulator,
) -> None:
    status, body = await raw_call(emulator, "sendTelepathy", chat_id=1)
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await raw_call(emulator, "GETME")
    assert status == 200 and body["result"]["id"] == 123456
    assert emulator.calls["getMe"] == 1


async def test_get_and_form_bodies_are_understood(emulator: Emulator) -> None:
    user = await started_user(emulator)
    async with httpx.AsyncClient() as client:
        resp = await client.get(
            f"{emulator.base_url}{emulator.token}/sendMessage",
            params={"chat_id": str(user.chat_id), "text": "via GET"},
        )
        assert resp.json()["ok"], resp.text
        resp = await client.post(
            f"{emulator.base_url}{emulator.token}/sendMessage",
            data={
                "chat_id": str(user.chat_id),
                "text": "via form",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
                ),
            },
        )
        assert resp.json()["ok"], resp.text
    assert [m.text for m in user.messages()] == ["via GET", "via form"]
    assert user.last().buttons[0][0].callback_data == "a"


async def test_missing_required_parameters_are_rejected(emulator: Emulator) -> None:
    user = await started_user(emulator)
    status, body = await raw_call(emulator, "sendMessage", text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await raw_call(emulator, "sendMessage", chat_id=user.chat_id)
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await raw_call(emulator, "answerCallbackQuery")
    assert (status, body["description"]) == (400, "Bad Request: callback_query_id is empty")
    assert user.messages() == []


@pytest.mark.skipif(not API_JSON.exists(), reason="Bot API spec not available")
def test_required_table_matches_the_bot_api_spec() -> None:
    spec = json.loads(API_JSON.read_text())["methods"]
    for method, required in _REQUIRED.items():
        from_spec = {f["name"] for f in spec[method].get("fields", []) if f["required"]}
        # editMessageText: the spec marks text optional only because rich_message may replace it.
        assert from_spec <= set(required) | ({"text"} if method == "editMessageText" else set()), (
            method
        )
        assert set(required) - {"text"} <= from_spec, method


# ----------------------------------------------------------------------------- updates


async def test_get_updates_offset_confirms_and_limit_caps(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = emulator.add_user("Aysel")
    for text in ("one", "two", "three"):
        await user.send(text)
    first = await tg_bot.get_updates()
    assert [present(u.message).text for u in first] == ["one", "two", "three"]
    again = await tg_bot.get_updates()  # nothing confirmed yet
    assert [u.update_id for u in again] == [u.update_id for u in first]
    ids = [u.update_id for u in first]
    assert ids == sorted(ids) and len(set(ids)) == 3
    rest = await tg_bot.get_updates(offset=ids[1], limit=1)
    assert [present(u.message).text for u in rest] == ["two"]
    assert emulator.pending_updates == 2  # "one" is forgotten
    assert await tg_bot.get_updates(offset=ids[2] + 1) == ()
    assert emulator.pending_updates == 0


async def test_negative_offset_keeps_only_the_tail(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = emulator.add_user("Aysel")
    for text in ("a", "b", "c"):
        await user.send(text)
    tail = await tg_bot.get_updates(offset=-1)
    assert [present(u.message).text for u in tail] == ["c"]
    assert [present(u.message).text for u in await tg_bot.get_updates()] == ["c"]


async def test_long_poll_wakes_up_on_new_message(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Aysel")
    started = time.monotonic()
    poll = asyncio.create_task(tg_bot.get_updates(timeout=5, read_timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await user.send("salam")
    updates = await asyncio.wait_for(poll, 2)
    assert [present(u.message).text for u in updates] == ["salam"]
    assert time.monotonic() - started < 2


async def test_long_poll_returns_empty_after_timeout(tg_bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await tg_bot.get_updates(timeout=1, read_timeout=5) == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_second_poller_terminates_the_first_with_conflict(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    first = asyncio.create_task(tg_bot.get_updates(timeout=5, read_timeout=10))
    await asyncio.sleep(0.2)
    async with telegram.Bot(emulator.token, base_url=emulator.base_url) as other_instance:
        second = asyncio.create_task(other_instance.get_updates(timeout=0))
        with pytest.raises(Conflict):
            await asyncio.wait_for(first, 3)
        assert await second == ()


async def test_allowed_updates_filters_kinds(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = emulator.add_user("Aysel")
    await user.send("text only")
    updates = await tg_bot.get_updates(allowed_updates=["callback_query"])
    assert updates == ()
    assert emulator.pending_updates == 0


async def test_delete_webhook_can_drop_pending_updates(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = emulator.add_user("Aysel")
    await user.send("old")
    assert await tg_bot.delete_webhook(drop_pending_updates=True)
    assert await tg_bot.get_updates() == ()


# ----------------------------------------------------------------------------- sendMessage & HTML


async def test_send_plain_and_html(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    plain = await tg_bot.send_message(user.chat_id, "  Salam!  ")
    assert plain.text == "Salam!"  # Telegram trims surrounding whitespace
    assert plain.from_user is not None
    assert plain.from_user.id == 123456 and plain.chat.id == user.chat_id
    html = '<b>Sənədlər</b> &amp; <a href="https://migration.gov.az">DMX</a> &lt;3 &#128512;'
    msg = await tg_bot.send_message(user.chat_id, html, parse_mode="HTML")
    assert msg.text == "Sənədlər & DMX <3 😀"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 0, 8),
        ("text_link", 11, 3),
    ]
    assert msg.entities[1].url == "https://migration.gov.az"
    view = user.last()
    assert view.text == "Sənədlər & DMX <3 😀" and view.html == html


@pytest.mark.parametrize(
    "bad_html",
    [
        "5 < 6",  # unescaped <
        "Tom & Jerry",  # unescaped &
        "&nbsp;unknown entity",
        "<div>unsupported</div>",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "stray </b>",
        '<span class="x">not a spoiler</span>',
    ],
)
async def test_bad_html_is_rejected(
    emulator: Emulator, tg_bot: telegram.Bot, bad_html: str
) -> None:
    user = await started_user(emulator)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg_bot.send_message(user.chat_id, bad_html, parse_mode="HTML")
    assert user.messages() == []
    assert emulator.error_log[-1]["description"].startswith("Bad Request: can't parse entities: ")


async def test_markdown_is_refused_by_the_emulator(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = await started_user(emulator)
    with pytest.raises(BadRequest, match=r"(?i)MarkdownV2 not supported"):
        await tg_bot.send_message(user.chat_id, "*hi*", parse_mode="MarkdownV2")


async def test_text_length_counts_utf16_after_parsing(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    emulator.limits.enabled = False
    user = await started_user(emulator)
    await tg_bot.send_message(user.chat_id, "😀" * 2048)  # 4096 UTF-16 units: the limit
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg_bot.send_message(user.chat_id, "😀" * 2049)
    # Tags do not count: 4096 visible characters wrapped in <b> is fine.
    await tg_bot.send_message(user.chat_id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg_bot.send_message(user.chat_id, "a" * 4097)
    assert len(user.messages()) == 2


async def test_text_empty_after_parsing_is_rejected(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = await started_user(emulator)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await tg_bot.send_message(user.chat_id, "<b> </b>\n", parse_mode="HTML")


async def test_caption_limit(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    photo_id = await _user_photo_file_id(emulator, tg_bot, user)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await tg_bot.send_photo(user.chat_id, photo_id, caption="x" * 1025)
    msg = await tg_bot.send_photo(user.chat_id, photo_id, caption="x" * 1024)
    assert msg.caption == "x" * 1024


# ----------------------------------------------------------------------------- keyboards


async def test_callback_data_limit_is_in_bytes(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    ok_data = "д" * 32  # 64 bytes
    await tg_bot.send_message(user.chat_id, "ok", reply_markup=keyboard(("Да", ok_data)))
    too_long = "д" * 32 + "x"  # 33 characters, 65 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await tg_bot.send_message(user.chat_id, "no", reply_markup=keyboard(("Да", too_long)))
    assert [m.text for m in user.messages()] == ["ok"]


async def test_button_text_must_not_be_empty(emulator: Emulator) -> None:
    user = await started_user(emulator)
    markup = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    status, body = await raw_call(
        emulator, "sendMessage", chat_id=user.chat_id, text="t", reply_markup=markup
    )
    assert status == 400 and body["description"].startswith("Bad Request:")
    markup = {"inline_keyboard": [[{"text": "label only"}]]}
    status, body = await raw_call(
        emulator, "sendMessage", chat_id=user.chat_id, text="t", reply_markup=markup
    )
    assert status == 400 and "unallowed" in body["description"]


async def test_reply_keyboards_remove_and_force_reply(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = await started_user(emulator)
    kb = ReplyKeyboardMarkup([[KeyboardButton("📱 Share phone", request_contact=True)], ["Cancel"]])
    await tg_bot.send_message(user.chat_id, "phone?", reply_markup=kb)
    assert user.last().reply_keyboard == [["📱 Share phone"], ["Cancel"]]
    mid = await user.tap("Share phone")
    update = (await tg_bot.get_updates())[-1]
    assert update.message is not None and update.message.contact is not None
    assert update.message.message_id == mid and update.message.contact.user_id == user.user_id
    await tg_bot.send_message(user.chat_id, "thanks", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard_markup() is None
    await tg_bot.send_message(user.chat_id, "name?", reply_markup=ForceReply())
    group = emulator.add_group("Staff", members=[user])
    with pytest.raises(BadRequest, match=r"(?i)private chats only"):
        await tg_bot.send_message(group.chat_id, "phone?", reply_markup=kb)


# ----------------------------------------------------------------------------- edits


async def test_edit_message_text(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    sent = await tg_bot.send_message(user.chat_id, "Menu", reply_markup=keyboard(("A", "a")))
    view = user.last()
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg_bot.edit_message_text(
            "Menu", user.chat_id, sent.message_id, reply_markup=keyboard(("A", "a"))
        )
    edited = await tg_bot.edit_message_text(
        "<i>Menu 2</i>", user.chat_id, sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Menu 2" and edited.edit_date is not None
    # Omitting reply_markup on an edit removes the inline keyboard, as on Telegram.
    assert view.text == "Menu 2" and view.buttons == [] and view.edits == 1
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await tg_bot.edit_message_text("x", user.chat_id, 9999)


async def test_edit_reply_markup_and_user_message_cannot_be_edited(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = await started_user(emulator)
    sent = await tg_bot.send_message(user.chat_id, "Menu", reply_markup=keyboard(("A", "a")))
    await tg_bot.edit_message_reply_markup(
        user.chat_id, sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert user.last().button_labels() == ["B"]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await tg_bot.edit_message_reply_markup(
            user.chat_id, sent.message_id, reply_markup=keyboard(("B", "b"))
        )
    with pytest.raises(BadRequest, match=r"(?i)can't be edited"):
        await tg_bot.edit_message_text("hijack", user.chat_id, 1)  # the person's /start


async def test_delete_message(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    sent = await tg_bot.send_message(user.chat_id, "bye")
    assert await tg_bot.delete_message(user.chat_id, sent.message_id)
    assert user.messages() == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg_bot.delete_message(user.chat_id, sent.message_id)


# ----------------------------------------------------------------------------- callback queries


async def test_answer_callback_query_once(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    await tg_bot.send_message(user.chat_id, "Menu", reply_markup=keyboard(("Sənədlər", "m:docs")))
    qid = await user.press("Sənəd")
    update = (await tg_bot.get_updates())[-1]
    assert update.callback_query is not None
    assert isinstance(update.callback_query.message, telegram.Message)
    assert update.callback_query.id == qid and update.callback_query.data == "m:docs"
    assert update.callback_query.message.text == "Menu"
    assert await tg_bot.answer_callback_query(qid, text="OK")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg_bot.answer_callback_query(qid)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg_bot.answer_callback_query("12345")
    assert user.callback_answers == [
        {"text": "OK", "show_alert": False, "url": None, "cache_time": None}
    ]


async def test_answer_callback_query_too_late() -> None:
    async with Emulator(callback_timeout=0.2) as emu:
        user = await started_user(emu)
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            await bot.send_message(user.chat_id, "Menu", reply_markup=keyboard(("A", "a")))
            qid = await user.press("A")
            await asyncio.sleep(0.3)
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_callback_query(qid)
        assert user.callback_answers == []


# ---------------------------------------------------------------------------- who may be written to


async def test_blocked_user_gets_forbidden(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    user.block_bot()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await tg_bot.send_message(user.chat_id, "hello?")
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await tg_bot.send_chat_action(user.chat_id, "typing")
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in await tg_bot.get_updates()]
    assert kinds[-1] == "my_chat_member"
    user.unblock_bot()
    await tg_bot.send_message(user.chat_id, "welcome back")


async def test_bot_cannot_write_first_or_to_unknown_chats(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    stranger = emulator.add_user("Never Started")
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await tg_bot.send_message(stranger.chat_id, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg_bot.send_message(424242, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg_bot.send_message(-1009999999999, "hi")


async def test_left_group_is_forbidden(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    group = emulator.add_group("Staff")
    assert await tg_bot.leave_chat(group.chat_id)
    with pytest.raises(Forbidden, match=r"(?i)not a member"):
        await tg_bot.send_message(group.chat_id, "still here?")


async def test_chat_member_queries(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    boss, worker, outsider = (emulator.add_user(n) for n in ("Boss", "Worker", "Outsider"))
    group = emulator.add_group("Staff", members=[worker], admins=[boss])
    assert (await tg_bot.get_chat_member(group.chat_id, boss.user_id)).status == "administrator"
    assert (await tg_bot.get_chat_member(group.chat_id, worker.user_id)).status == "member"
    assert (await tg_bot.get_chat_member(group.chat_id, outsider.user_id)).status == "left"
    group.remove_member(worker)
    assert (await tg_bot.get_chat_member(group.chat_id, worker.user_id)).status == "left"
    admins = {m.user.id for m in await tg_bot.get_chat_administrators(group.chat_id)}
    assert admins == {boss.user_id, 123456}
    chat = await tg_bot.get_chat(group.chat_id)
    assert chat.title == "Staff" and chat.is_forum
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await tg_bot.get_chat_member(group.chat_id, 5)
    group.add_member(outsider, "restricted")
    muted = await tg_bot.get_chat_member(group.chat_id, outsider.user_id)
    assert isinstance(muted, telegram.ChatMemberRestricted)
    assert muted.status == "restricted" and not muted.can_send_messages
    with pytest.raises(AssertionError, match="not a member"):
        await outsider.send_in(group, "let me speak")
    assert (await tg_bot.get_chat_member(boss.chat_id, boss.user_id)).status == "member"
    assert (await tg_bot.get_chat_member(boss.chat_id, 123456)).status == "member"


# ----------------------------------------------------------------------------- rate limits


def quiet_user(emu: Emulator, name: str = "Aysel") -> UserDriver:
    """Someone who started the bot long ago and has not written since: no reply credit."""
    return emu.add_user(name, started=True)


async def test_private_chat_burst_then_429(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = quiet_user(emulator)
    for i in range(3):
        await tg_bot.send_message(user.chat_id, f"burst {i}")
    with pytest.raises(RetryAfter) as err:
        await tg_bot.send_message(user.chat_id, "one too many")
    assert seconds(err.value.retry_after) >= 1
    body = emulator.error_log[-1]
    assert body["error_code"] == 429 and body["description"].startswith(
        "Too Many Requests: retry after "
    )
    assert emulator.rate_limited == 1
    # Not "sending": answering, editing and polling never hit flood control.
    sent = user.messages()[0]
    await tg_bot.edit_message_text("edited", user.chat_id, sent.message_id)
    await tg_bot.send_chat_action(user.chat_id, "typing")


async def test_private_chat_bucket_refills() -> None:
    async with Emulator(rate_limits=RateLimits(private_burst=1, private_per_second=10)) as emu:
        user = quiet_user(emu)
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            await bot.send_message(user.chat_id, "one")
            with pytest.raises(RetryAfter):
                await bot.send_message(user.chat_id, "two")
            await asyncio.sleep(0.15)
            await bot.send_message(user.chat_id, "two, later")
        assert [m.text for m in user.messages()] == ["one", "two, later"]


async def test_group_cap_is_20_per_minute(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    group = emulator.add_group("Staff", forum=False)
    for i in range(20):
        await tg_bot.send_message(group.chat_id, f"m{i}")
    with pytest.raises(RetryAfter) as err:
        await tg_bot.send_message(group.chat_id, "m20")
    assert 1 <= seconds(err.value.retry_after) <= 60


async def test_global_cap_30_per_second() -> None:
    """About 30 a second to people who did not just write: a bucket of one second's worth."""
    async with Emulator(rate_limits=RateLimits(private_burst=100)) as emu:
        users = [quiet_user(emu, f"U{i}") for i in range(60)]
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            started = time.monotonic()
            sent = 0
            with pytest.raises(RetryAfter):
                for u in users:
                    await bot.send_message(u.chat_id, "hi")
                    sent += 1
            elapsed = time.monotonic() - started
        assert 30 <= sent <= 30 + 30 * elapsed + 1


async def test_replies_to_what_a_person_just_sent_are_not_capped() -> None:
    """Telegram caps what a bot starts; a reply to a person's own message passes."""
    async with Emulator(rate_limits=RateLimits(private_burst=1, global_per_second=2)) as emu:
        people = [quiet_user(emu, f"U{i}") for i in range(4)]
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            for person in people:
                await person.send("hello")
            for _round in range(3):  # three replies each, 12 in all: over both caps
                for person in people:
                    await bot.send_message(person.chat_id, "reply")
            assert emu.rate_limited == 0
            # The credit is spent: the next one is a message the bot starts.
            await bot.send_message(people[0].chat_id, "a notice")
            with pytest.raises(RetryAfter):
                await bot.send_message(people[0].chat_id, "and another")
        assert emu.rate_limited == 1


async def test_edits_count_in_groups_but_not_in_private_chats(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    group = emulator.add_group("Staff", forum=False)
    first = await tg_bot.send_message(group.chat_id, "card")
    for i in range(19):
        await tg_bot.edit_message_text(f"card v{i}", group.chat_id, first.message_id)
    with pytest.raises(RetryAfter):
        await tg_bot.edit_message_text("card v20", group.chat_id, first.message_id)
    user = quiet_user(emulator)
    note = await tg_bot.send_message(user.chat_id, "menu")
    for i in range(10):
        await tg_bot.edit_message_text(f"menu {i}", user.chat_id, note.message_id)
    assert emulator.rate_limited == 1


async def test_rate_limits_can_be_disabled() -> None:
    async with Emulator(rate_limits=False) as emu:
        user = await started_user(emu)
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            for i in range(10):
                await bot.send_message(user.chat_id, f"m{i}")
        assert len(user.messages()) == 10


# ----------------------------------------------------------------------------- forum topics


async def test_forum_topic_lifecycle(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    group = emulator.add_group("Caseworkers")
    topic = await tg_bot.create_forum_topic(group.chat_id, "Case #1 · Aysel")
    tid = topic.message_thread_id
    msg = await tg_bot.send_message(group.chat_id, "new request", message_thread_id=tid)
    assert msg.message_thread_id == tid and msg.is_topic_message
    assert await tg_bot.edit_forum_topic(group.chat_id, tid, name="Case #1 · closed")
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await tg_bot.edit_forum_topic(group.chat_id, tid, name="Case #1 · closed")
    assert await tg_bot.close_forum_topic(group.chat_id, tid)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
        await tg_bot.send_message(group.chat_id, "late", message_thread_id=tid)
    assert await tg_bot.reopen_forum_topic(group.chat_id, tid)
    await tg_bot.send_message(group.chat_id, "reopened", message_thread_id=tid)
    assert await tg_bot.delete_forum_topic(group.chat_id, tid)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await tg_bot.send_message(group.chat_id, "gone", message_thread_id=tid)
    assert group.topics()[0].deleted and group.topics()[0].name == "Case #1 · closed"
    assert group.messages(tid) == []


async def test_thread_not_found_and_topics_closed_by_hand(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    group = emulator.add_group("Caseworkers")
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await tg_bot.send_message(group.chat_id, "x", message_thread_id=777)
    tid = (await tg_bot.create_forum_topic(group.chat_id, "Case")).message_thread_id
    group.close_topic(tid)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
        await tg_bot.send_message(group.chat_id, "x", message_thread_id=tid)
    group.delete_topic(tid)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await tg_bot.send_message(group.chat_id, "x", message_thread_id=tid)


async def test_topics_need_a_forum_and_admin_rights(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    plain = emulator.add_group("Plain", forum=False)
    with pytest.raises(BadRequest, match=r"(?i)not a forum"):
        await tg_bot.create_forum_topic(plain.chat_id, "x")
    weak = emulator.add_group("Forum", bot_is_admin=False)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await tg_bot.create_forum_topic(weak.chat_id, "x")


# ----------------------------------------------------------------------------- media


async def _user_photo_file_id(emu: Emulator, bot: telegram.Bot, user: UserDriver) -> str:
    await user.send_photo("my passport")
    update = (await bot.get_updates())[-1]
    assert update.message is not None
    return update.message.photo[-1].file_id


async def test_copy_photo_into_topic(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    staff = emulator.add_user("Kamala")
    group = emulator.add_group("Caseworkers", admins=[staff])
    await user.send_photo("passport page")
    update = (await tg_bot.get_updates())[-1]
    assert update.message is not None
    assert update.message.caption == "passport page" and update.message.photo
    tid = (await tg_bot.create_forum_topic(group.chat_id, "Case #7")).message_thread_id
    copied = await tg_bot.copy_message(
        group.chat_id, user.chat_id, update.message.message_id, message_thread_id=tid
    )
    [msg] = group.messages(tid)
    assert msg.message_id == copied.message_id
    assert msg.media_kind == "photo" and msg.text == "passport page"
    assert msg.copied_from == (user.chat_id, update.message.message_id)
    forwarded = await tg_bot.forward_message(
        group.chat_id, user.chat_id, update.message.message_id, message_thread_id=tid
    )
    assert isinstance(forwarded.forward_origin, telegram.MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == user.user_id
    assert forwarded.photo[-1].file_id == update.message.photo[-1].file_id
    again = await tg_bot.send_photo(user.chat_id, update.message.photo[-1].file_id)
    assert again.photo
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await tg_bot.copy_message(group.chat_id, user.chat_id, 999)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await tg_bot.send_photo(user.chat_id, "made-up-file-id")


async def test_multipart_upload_and_download(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    payload = "ad,soyad\nAysel,Məmmədova\n".encode()
    msg = await tg_bot.send_document(
        user.chat_id,
        io.BytesIO(payload),
        filename="export.csv",
        caption="<b>Export</b>",
        parse_mode="HTML",
    )
    assert msg.document is not None
    assert msg.document.file_name == "export.csv" and msg.document.file_size == len(payload)
    assert msg.caption == "Export" and msg.caption_entities[0].type == "bold"
    assert user.last().media_kind == "document"
    file = await tg_bot.get_file(msg.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload
    # The file_id can be reused, as on Telegram.
    again = await tg_bot.send_document(user.chat_id, msg.document.file_id)
    assert again.document is not None
    assert again.document.file_id == msg.document.file_id


# ----------------------------------------------------------------------------- faults & latency


async def test_fault_500_then_success(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    emulator.faults.add(method="sendMessage", kind="500", count=1)
    with pytest.raises(NetworkError):
        await tg_bot.send_message(user.chat_id, "first try")
    assert user.messages() == []
    await tg_bot.send_message(user.chat_id, "second try")
    assert [m.text for m in user.messages()] == ["second try"]
    assert emulator.faults.pending() == 0
    assert emulator.calls["sendMessage"] == 2


async def test_faults_match_method_and_chat_in_order(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user, other = await started_user(emulator), await started_user(emulator, "Ivan")
    emulator.faults.add(kind="429", retry_after=7, chat_id=user.chat_id)
    emulator.faults.add(method="sendmessage", kind="drop")
    # The 429 is only for user's chat, so the drop fires first, on the other chat.
    with pytest.raises(NetworkError):
        await tg_bot.send_message(other.chat_id, "lost")
    assert other.messages() == []
    with pytest.raises(RetryAfter) as err:
        await tg_bot.send_message(user.chat_id, "x")
    assert seconds(err.value.retry_after) == 7
    assert emulator.faults.pending() == 0
    await tg_bot.send_message(user.chat_id, "through")
    assert [m.text for m in user.messages()] == ["through"]


async def test_fault_drop_after_executes_but_loses_the_response(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    user = await started_user(emulator)
    emulator.faults.add(method="sendMessage", kind="drop_after")
    with pytest.raises(NetworkError):
        await tg_bot.send_message(user.chat_id, "sent but unconfirmed")
    assert [m.text for m in user.messages()] == ["sent but unconfirmed"]


async def test_fault_timeout(emulator: Emulator) -> None:
    user = await started_user(emulator)
    emulator.faults.add(method="sendMessage", kind="timeout")
    emulator.faults.timeout_seconds = 5
    bot = telegram.Bot(
        emulator.token, base_url=emulator.base_url, request=HTTPXRequest(read_timeout=0.3)
    )
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.chat_id, "slow")
        assert user.messages() == []


async def test_latency_is_applied_per_call() -> None:
    async with Emulator(latency=0.2) as emu:
        async with telegram.Bot(emu.token, base_url=emu.base_url) as bot:
            started = time.monotonic()
            await bot.get_me()
            assert time.monotonic() - started >= 0.2


async def test_sent_log_records_successful_calls(emulator: Emulator, tg_bot: telegram.Bot) -> None:
    user = await started_user(emulator)
    await tg_bot.send_message(user.chat_id, "logged")
    with pytest.raises(BadRequest):
        await tg_bot.send_message(user.chat_id, "")
    sends = [e for e in emulator.sent_log if e["method"] == "sendMessage"]
    assert len(sends) == 1 and sends[0]["params"]["text"] == "logged"
    assert sends[0]["result"]["text"] == "logged"
    assert emulator.calls["sendMessage"] == 2


async def test_emulator_bugs_are_reported_not_hidden(
    emulator: Emulator, tg_bot: telegram.Bot
) -> None:
    async def broken(params: dict[str, Any]) -> Any:
        raise KeyError("oops")

    emulator._handlers["getme"] = ("getMe", broken)
    with pytest.raises(NetworkError, match="emulator bug"):
        await tg_bot.get_me()
    assert "KeyError" in emulator.internal_errors[0]
    emulator.internal_errors.clear()  # the fixture would fail the test otherwise


async def test_standalone_server_with_control_api(capsys: pytest.CaptureFixture[str]) -> None:
    server = asyncio.create_task(serve_forever(0, 0.0, "42:STANDALONE"))
    try:
        for _ in range(50):
            await asyncio.sleep(0.05)
            out = capsys.readouterr().out
            if "BOT_API_URL=" in out:
                break
        base_url = out.split("BOT_API_URL=")[1].split()[0]
        root = base_url.removesuffix("/bot")
        async with httpx.AsyncClient() as client:
            state = (await client.get(f"{root}/_emu/state")).json()
            aysel = next(u for u in state["users"] if u["first_name"] == "Aysel")
            assert state["groups"][0]["is_forum"]
            sent = await client.post(
                f"{root}/_emu/message", json={"user_id": aysel["id"], "text": "/start"}
            )
            assert sent.status_code == 200
            async with telegram.Bot("42:STANDALONE", base_url=base_url) as bot:
                [update] = await bot.get_updates()
                assert update.message is not None
                assert (
                    update.message.text == "/start"
                    and update.message.entities[0].type == "bot_command"
                )
                await bot.send_message(aysel["id"], "Salam", reply_markup=keyboard(("A", "a")))
            msgs = (
                await client.get(f"{root}/_emu/messages", params={"chat_id": aysel["id"]})
            ).json()
            assert [m["text"] for m in msgs] == ["Salam"]
            press = await client.post(
                f"{root}/_emu/press",
                json={"user_id": aysel["id"], "message_id": msgs[0]["message_id"], "data": "a"},
            )
            assert press.json()["callback_query_id"]
            bad = await client.post(f"{root}/_emu/message", json={"user_id": 1, "text": "x"})
            assert bad.status_code == 400
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def test_replies_must_target_an_existing_message(emulator: Emulator) -> None:
    user = await started_user(emulator)
    status, body = await raw_call(
        emulator,
        "sendMessage",
        chat_id=user.chat_id,
        text="re",
        reply_parameters={"message_id": 99},
    )
    assert (status, body["description"]) == (400, "Bad Request: message to be replied not found")
    async with httpx.AsyncClient() as client:
        resp = await client.post(
            f"{emulator.base_url}{emulator.token}/sendMessage",
            data={
                "chat_id": str(user.chat_id),
                "text": "re",
                "reply_to_message_id": "99",
                "allow_sending_without_reply": "false",
            },
        )
    assert resp.status_code == 400
    status, body = await raw_call(
        emulator,
        "sendMessage",
        chat_id=user.chat_id,
        text="re",
        reply_parameters={"message_id": 99, "allow_sending_without_reply": True},
    )
    assert status == 200 and "reply_to_message" not in body["result"]
    status, body = await raw_call(
        emulator, "sendMessage", chat_id=user.chat_id, text="re", reply_parameters={"message_id": 1}
    )
    assert body["result"]["reply_to_message"]["text"] == "/start"
