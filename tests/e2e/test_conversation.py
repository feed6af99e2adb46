"""Typed messages that are not FAQ questions, and the whole query set, through the emulator."""

from __future__ import annotations

import asyncio

from bench import queryset
from bot.i18n import Tr
from bot.sandbox import BotMessage
from tests.e2e.flows_helpers import has_data, onboard
from tests.e2e.harness import Harness, HarnessFactory

LANGUAGE_LABELS = {
    "en": "English",
    "ru": "Русский",
    "az": "Azərbaycanca",
    "fa": "فارسی",
    "tr": "Türkçe",
}
_MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))
# Each reply screen by the UI string it starts with (translated to the person's language).
SCREENS = [
    ("emergency", "If you are in danger, call now:"),
    (
        "caseworker",
        "A caseworker, a real person, can answer you here in this chat. Press the button to "
        "write to them; it takes a minute.",
    ),
    (
        "unsure",
        "I am not sure I have an answer to that. A caseworker can help you: press the first "
        "button. These answers may be related:",
    ),
    ("answers", "Here is what I found:"),
    (
        "nothing",
        "I could not find an answer to that. Try other words, choose a topic from the menu, "
        "or ask a caseworker.",
    ),
    ("thanks", "Glad I could help. Write another question at any time, or choose a topic."),
    ("help", "Type your question in your own words, or use the menu."),
]


def plain(text: str) -> str:
    """Text without the direction isolates the bot adds around numbers in Persian."""
    return text.translate(_MARKS)


def outcome_of(message: BotMessage, tr: Tr, welcome: str) -> queryset.Outcome:
    """What a person sees, read back as a reaction: which screen, which answers offered
    (`welcome`: the pack's greeting in the person's language)."""
    text = plain(message.text)
    items = tuple(
        (b.callback_data or "")[2:]
        for row in message.buttons
        for b in row
        if (b.callback_data or "").startswith("f:")
    )
    for reply, msgid in SCREENS:
        if plain(tr._(msgid)) in text:
            return queryset.Outcome(reply, items)
    if plain(welcome) in text:
        return queryset.Outcome("greeting", items)
    return queryset.Outcome("unknown:" + text[:40], items)


def first_reply(message: BotMessage) -> bool:
    return bool(message.buttons) and not message.text.startswith("🌐")


async def test_the_query_set_through_the_emulator(harness_factory: HarnessFactory) -> None:
    harness = await harness_factory(max_messages_per_minute=100_000)
    queries = queryset.load_queries()

    async def one_language(lang: str) -> list[tuple[queryset.Query, queryset.Outcome]]:
        person = harness.person(f"Q{lang}", lang)
        await onboard(person, LANGUAGE_LABELS[lang])
        tr = harness.services.catalogs.tr(lang)
        done = []
        for query in (q for q in queries if q.lang == lang):
            await person.send(query.q)
            reply = await person.wait_for(first_reply, timeout=10)
            welcome = harness.services.content.pack.welcome_text(lang) or ""
            done.append((query, outcome_of(reply, tr, welcome)))
        return done

    results = await asyncio.gather(*(one_language(lang) for lang in queryset.LANGUAGES))
    scores = queryset.score(pair for per_language in results for pair in per_language)
    misses = [
        f"[{q.lang} {q.kind}] {q.q!r} -> {o.reply} {list(o.items[:3])}" for q, o in scores.failures
    ]
    assert scores.misses() == [], "\n".join(misses)
    assert not any(o.reply.startswith("unknown") for pairs in results for _, o in pairs)
    # What people got through Telegram is exactly what the benchmark measures.
    router = queryset.through_router(queries, bundle=harness.services.content)
    assert (scores.top1, scores.top3, scores.right) == (router.top1, router.top3, router.right)


async def test_greetings_in_russian_and_persian_answer_briefly_with_the_menu(
    harness: Harness,
) -> None:
    ivan = harness.person("Ivan", "ru")
    await onboard(ivan, "Русский")
    await ivan.send("Здравствуйте!")
    menu = await ivan.wait_for(has_data("e:"))
    assert "Здравствуйте" in menu.text or "Привет" in menu.text or "Добрый" in menu.text
    assert "could not find" not in menu.text and "не нашёл" not in menu.text.lower()
    ahmad = harness.person("Ahmad", "fa")
    await onboard(ahmad, "فارسی")
    await ahmad.send("سلام علیکم")
    menu = await ahmad.wait_for(has_data("e:"))
    assert any("\u0600" <= ch <= "\u06ff" for ch in menu.text)
    await ahmad.send("تشکر")
    await ahmad.wait_for(has_data("e:"))


async def test_a_request_for_a_person_offers_a_caseworker_first(harness: Harness) -> None:
    for lang, label, text in (
        ("en", "English", "I want to talk to a person"),
        ("ru", "Русский", "можно с живым человеком поговорить?"),
    ):
        person = harness.person(f"P{lang}", lang)
        await onboard(person, label)
        await person.send(text)
        offer = await person.wait_for(has_data("r:new"))
        assert offer.buttons[0][0].callback_data == "r:new"  # first, not sixth
        assert not offer.buttons[0][0].callback_data.startswith("f:rights.statelessness")
        await person.press_data("r:new", offer.message_id)
        await person.wait_for(has_data("i:cat:"))  # the request starts


async def test_emergencies_in_words_get_the_numbers_first(harness: Harness) -> None:
    tom = harness.person("Tom", "en")
    await onboard(tom)
    await tom.send("someone is hitting me, im scared")
    reply = await tom.wait_for("112")
    assert reply.text.index("112") < reply.text.index("102")
    assert reply.buttons[0][0].callback_data == "r:new"  # then the offer of a caseworker
    zahra = harness.person("Zahra", "fa")
    await onboard(zahra, "فارسی")
    await zahra.send("شوهرم مرا میزند کمک")
    reply = await zahra.wait_for(lambda m: "112" in m.text)
    assert "\u2068112\u2069" in reply.text or "\u2066112\u2069" in reply.text  # isolated in RTL
    assert reply.buttons[0][0].callback_data == "r:new"
    await zahra.send("номер скорой")  # Russian in a Persian chat: still an emergency
    reply = await zahra.wait_for(lambda m: "103" in m.text)
    assert "(012) 919" not in plain(reply.text.split("\n\n")[0])


async def test_out_of_scope_is_answered_honestly_with_a_caseworker_first(harness: Harness) -> None:
    tom = harness.person("Tom", "en")
    await onboard(tom)
    await tom.send("what is the weather in baku tomorrow")
    reply = await tom.wait_for(has_data("r:new"))
    assert reply.buttons[0][0].callback_data == "r:new"
    assert "not sure" in reply.text or "could not find" in reply.text
    await tom.send("how do i get a visa for canada")
    reply = await tom.wait_for(has_data("r:new"))
    assert "not sure" in reply.text and reply.buttons[0][0].callback_data == "r:new"
    zahra = harness.person("Zahra", "fa")
    await onboard(zahra, "فارسی")
    await zahra.send("هوای باکو فردا چطور است")
    reply = await zahra.wait_for(has_data("r:new"))
    assert reply.buttons[0][0].callback_data == "r:new"


async def test_mixed_language_question_finds_the_english_text(harness: Harness) -> None:
    farid = harness.person("Farid", "ru")
    await onboard(farid, "Русский")
    await farid.send("work permit нужен для фриланса?")
    reply = await farid.wait_for(has_data("f:"))
    offered = [
        b.callback_data
        for row in reply.buttons
        for b in row
        if (b.callback_data or "").startswith("f:")
    ]
    assert {"f:doc.work_permit", "f:doc.work_permit_exempt"} & set(offered[:3])
