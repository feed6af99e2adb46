"""Fuzz: random update sequences against the running bot. Huge, blank, right-to-left, control
character and markup-laden text; real, random and forged buttons (other people's cases);
media, contacts, edits; update kinds the bot does not handle; strangers in groups.

Asserted after every example: no update marked failed, no emulator error, every private
message answered (a bot message after it in that chat), every button press answered, and the
forged presses changed nothing in someone else's case."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import GroupDriver, UserDriver
from tests.e2e.flows_helpers import onboard, open_request
from tests.e2e.harness import Harness, HarnessFactory
from tests.faults.helpers import all_bot_messages

BLANK = ["\u200b", " ", "\n", "\t \n", "\u2060", "\u00a0", "ㅤ", "\u202e", "\ufeff"]
RTL = [
    "سلام، پاسپورت من گم شد",
    "مرحبا 123 +994501234567 abc",
    "שלום (test) 42",
    "جواز سفر؟",
    "\u202bمتن\u202c Latin 12:30",
    "پناهندگی",
]
CONTROL = [
    "\x00",
    "\x07bell",
    "a\x1b[31mred",
    "\r\n\r\n",
    "\x7f",
    "\u0085next",
    "tab\there",
    "\ud7ff",
]
MARKUP = [
    "<b>bold</b>",
    "</i>",
    "&",
    "&amp;",
    "a < b & c > d",
    "*bold* _it_ `code` ```pre```",
    "<a href='javascript:alert(1)'>x</a>",
    "<tg-spoiler>s</tg-spoiler>",
    "[link](http://x.y)",
    "{name} {0} %s %(x)s {{}}",
    "\\",
    "<",
    "`",
    "_",
    "*",
    "<script>",
    "&#0;",
    "&lt;&gt;",
]
COMMANDS = [
    "/start",
    "/help",
    "/cancel",
    "/requests",
    "/language",
    "/emergency",
    "/about",
    "/privacy",
    "/mydata",
    "/delete",
    "/queue",
    "/case 1",
    "/find passport",
    "/note hi",
    "/reply greeting",
    "/report",
    "/audit 1",
    "/block 1",
    "/reload",
    "/nonsense",
    "/start ref_payload",
    "/help@helpdesk_test_bot",
    "/START",
    "/",
]
WORDS = ["passport", "work permit", "visa", "help", "residence", "asylum", "1", "0", "yes", "no"]
PREFIXES = ["m:", "f:", "h:", "e:", "l:", "a:", "g:", "q:", "qb:", "qx:", "r:", "i:", "p:", "c:"]
FORGED = [
    "r:close:{case}",
    "r:closeok:{case}",
    "r:rate:{case}:1",
    "r:rate:{case}:99",
    "r:add:{case}",
    "c:{case}:claim",
    "c:{case}:status",
    "c:{case}:st:closed",
    "c:{case}:prio:0",
    "p:del:ok",
    "i:ok",
    "i:done",
    "i:cat:documents",
    "i:adults:-5",
    "q:nope:1:x:y",
    "g:nope",
    "m:nope",
    "f:nope",
    "h:nope:1",
    "l:xx",
    "l:en:s",
    "a:nope",
    "r:new:nope",
    "r:flow:nope",
    "qb:x:y",
]

texts = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(BLANK + RTL + CONTROL + MARKUP + COMMANDS + WORDS),
    st.builds(
        lambda a, b: a + " " + b,
        st.sampled_from(MARKUP + RTL + WORDS),
        st.sampled_from(MARKUP + RTL + CONTROL),
    ),
    st.builds(
        lambda ch: (ch * 4096)[:4096], st.sampled_from(["a", "ж", "ع", "<", "&", "*", "_ ", "`"])
    ),
)
callback_data = st.one_of(
    st.sampled_from(FORGED),
    st.builds(lambda p, s: p + s, st.sampled_from(PREFIXES), st.text(max_size=20)),
    st.text(min_size=1, max_size=30),
).map(lambda d: d.encode("utf-8")[:64].decode("utf-8", "ignore") or "x")

actions = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("button"), st.integers(min_value=0, max_value=10_000)),
    st.tuples(st.just("press"), callback_data),
    st.tuples(
        st.just("media"),
        st.sampled_from(["photo", "voice", "document", "contact", "other_contact"]),
        texts,
    ),
    st.tuples(st.just("edit"), texts),
    st.tuples(
        st.just("raw"),
        st.sampled_from(
            [
                "inline_query",
                "chosen_inline_result",
                "shipping_query",
                "pre_checkout_query",
                "chat_join_request",
                "channel_post",
                "business_connection",
                "some_future_update",
                "my_chat_member",
            ]
        ),
    ),
    st.tuples(
        st.just("group"), st.sampled_from(["neighbours", "staff_topic", "staff_general"]), texts
    ),
)
scripts = st.lists(
    st.tuples(st.integers(min_value=0, max_value=1), actions), min_size=1, max_size=8
)
languages = st.sampled_from(["en", "ru", "az", "fa", "tr", "ar", None, "xx-YY"])


@dataclass
class Arena:
    h: Harness
    owner: UserDriver
    owner_case: int
    owner_thread: int
    neighbours: GroupDriver
    stranger: UserDriver
    owner_seen: int = 0
    counter: list[int] = field(default_factory=lambda: [0])

    def __repr__(self) -> str:
        return f"<Arena owner case #{self.owner_case}>"


@pytest_asyncio.fixture
async def arena(harness_factory: HarnessFactory) -> AsyncIterator[Arena]:
    h = await harness_factory(max_messages_per_minute=100_000)
    owner = h.person("Owner", "en")
    await onboard(owner)
    case_id = await open_request(owner, "a private matter of the owner")
    await h.settle()
    thread = next(t.thread_id for t in h.staff.topics() if t.name.startswith(f"#{case_id} "))
    stranger = h.emu.add_user("Stranger", language_code="en")
    neighbours = h.emu.add_group("Neighbours", forum=False, members=[stranger])
    arena = Arena(
        h,
        owner,
        case_id,
        thread,
        neighbours,
        stranger,
        owner_seen=len(all_bot_messages(h.emu, owner.chat_id)),
    )
    yield arena


def _raw_update(arena: Arena, kind: str, person: UserDriver) -> dict[str, Any]:
    emu = arena.h.emu
    user = emu.user_json(person.user_id)
    now = int(time.time())
    group = emu.chat_json(arena.neighbours.chat)
    payloads: dict[str, dict[str, Any]] = {
        "inline_query": {"id": "iq1", "from": user, "query": "passport", "offset": ""},
        "chosen_inline_result": {"result_id": "r1", "from": user, "query": "visa"},
        "shipping_query": {
            "id": "s1",
            "from": user,
            "invoice_payload": "x",
            "shipping_address": {
                "country_code": "AZ",
                "state": "",
                "city": "Baku",
                "street_line1": "a",
                "street_line2": "",
                "post_code": "1",
            },
        },
        "pre_checkout_query": {
            "id": "pc1",
            "from": user,
            "currency": "XTR",
            "total_amount": 1,
            "invoice_payload": "x",
        },
        "chat_join_request": {
            "chat": group,
            "from": user,
            "user_chat_id": person.user_id,
            "date": now,
        },
        "channel_post": {
            "message_id": 1,
            "date": now,
            "chat": {"id": -1009, "type": "channel", "title": "C"},
            "text": "a post",
        },
        "business_connection": {
            "id": "b1",
            "user": user,
            "user_chat_id": person.user_id,
            "date": now,
            "is_enabled": True,
            "can_reply": False,
        },
        "some_future_update": {"from": user, "whatever": [1, {"nested": None}]},
        "my_chat_member": {
            "chat": group,
            "from": user,
            "date": now,
            "old_chat_member": {"status": "left", "user": emu.user_json(emu.bot.id)},
            "new_chat_member": {"status": "member", "user": emu.user_json(emu.bot.id)},
        },
    }
    return payloads[kind]


@dataclass
class Expect:
    messages: list[tuple[UserDriver, int]] = field(default_factory=list)  # (person, message id)
    presses: list[str] = field(default_factory=list)


async def _play(
    arena: Arena, people: list[UserDriver], script: list[tuple[int, tuple[Any, ...]]]
) -> Expect:
    h, emu = arena.h, arena.h.emu
    expect = Expect()
    sent_texts: dict[int, list[int]] = {p.user_id: [] for p in people}

    async def message(person: UserDriver, send: Any) -> None:
        mid = await send()
        expect.messages.append((person, mid))

    for who, action in script:
        person = people[who % len(people)]
        kind = action[0]
        if kind == "text":
            await message(person, lambda p=person, t=action[1]: p.send(t))
            sent_texts[person.user_id].append(expect.messages[-1][1])
        elif kind in ("button", "press"):
            shown = person.messages()
            if not shown:
                await message(person, lambda p=person: p.send("/start"))
                await _settle(h)
                shown = person.messages()
            if kind == "button":
                pressable = [
                    (m, b) for m in shown[-3:] for row in m.buttons for b in row if b.callback_data
                ]
                if not pressable:
                    continue
                target, button = pressable[action[1] % len(pressable)]
                data = button.callback_data or ""
            else:
                target = shown[-1]
                data = action[1].replace("{case}", str(arena.owner_case))
            expect.presses.append(await person.press_data(data, target.message_id))
        elif kind == "media":
            what, caption = action[1], action[2][:1024]
            if what == "photo":
                await message(person, lambda p=person, c=caption: p.send_photo(caption=c))
            elif what == "voice":
                await message(person, person.send_voice)
            elif what == "document":
                await message(
                    person, lambda p=person, c=caption: p.send_document("scan.pdf", caption=c)
                )
            elif what == "contact":
                await message(person, lambda p=person: p.send_contact("+994501112233"))
            else:  # someone else's contact card
                contact = {
                    "phone_number": "+10000000000",
                    "first_name": "Someone",
                    "user_id": arena.owner.user_id,
                }
                await message(
                    person,
                    lambda p=person, c=contact: _send(
                        emu.person_message(p.user_id, p.chat_id, contact=c)
                    ),
                )
        elif kind == "edit":
            if sent_texts[person.user_id]:
                latest = emu.chats[person.chat_id].next_message_id - 1  # the answer must be newer
                await person.edit(sent_texts[person.user_id][-1], action[1])
                expect.messages.append((person, latest))
        elif kind == "raw":
            emu.enqueue_update(action[1], _raw_update(arena, action[1], person))
        elif kind == "group":
            where, text = action[1], action[2]
            if where == "neighbours":
                arena.stranger.user.started = True
                emu.person_message(arena.stranger.user_id, arena.neighbours.chat_id, text=text)
            else:  # someone who is not a caseworker writes in the staff chat
                thread = arena.owner_thread if where == "staff_topic" else None
                emu.person_message(
                    arena.stranger.user_id, h.staff.chat_id, text=text, thread_id=thread
                )
    return expect


async def _send(msg: Any) -> int:
    return int(msg.message_id)


async def _settle(h: Harness) -> None:
    deadline = time.monotonic() + 30
    while h.emu.pending_updates:
        assert time.monotonic() < deadline, "updates never fetched"
        await asyncio.sleep(0.02)
    await h.settle()


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(script=scripts, langs=st.tuples(languages, languages))
async def test_random_updates_never_break_the_bot(
    arena: Arena, script: list[Any], langs: tuple[Any, Any]
) -> None:
    h, emu = arena.h, arena.h.emu
    arena.counter[0] += 1
    people = [h.person(f"Fuzz{arena.counter[0]}_{i}", lang) for i, lang in enumerate(langs)]
    failed_before = len(await _failures(h))
    expect = await _play(arena, people, script)
    await _settle(h)

    failures = await _failures(h)
    assert len(failures) == failed_before, failures[failed_before:]
    assert emu.internal_errors == [], emu.internal_errors[:1]
    for person, mid in expect.messages:
        later = [m for m in all_bot_messages(emu, person.chat_id) if m.message_id > mid]
        assert later, (
            f"no answer after message {mid} of {person}: "
            f"{emu.chats[person.chat_id].messages.get(mid)}"
        )
    unanswered = [q for q in expect.presses if not emu.callback_queries[q].answered]
    assert not unanswered, [emu.callback_queries[q].data for q in unanswered]

    # Forged presses and strangers in the staff chat changed nothing in the owner's case.
    row = await h.services.cases.get(arena.owner_case)
    assert row is not None and row.status == "new" and row.record.assignee_id is None
    assert row.record.rating is None
    assert len(all_bot_messages(emu, arena.owner.chat_id)) == arena.owner_seen


async def _failures(h: Harness) -> list[str]:
    rows = await h.services.store.executor.fetchall(
        "SELECT update_id, error FROM inbox WHERE status = 'failed' ORDER BY update_id"
    )
    return [f"{r['update_id']}: {r['error']}" for r in rows]
