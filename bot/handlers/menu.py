"""Menus and answers: topics, FAQ pages, feedback, emergency numbers, language, audience."""

from __future__ import annotations

from telegram import Update

from bot import callbacks as cb
from bot.handlers.context import BotContext, leave_step, pressed_data
from bot.handlers.render import answer_query, show
from bot.ui import menus


async def on_main_or_topic(update: Update, context: BotContext) -> None:
    """m:<topic> opens a topic; m: alone the main menu; an unknown topic says the menu changed."""
    await answer_query(update)
    person = context.person
    if person is None:
        return
    pack = context.services.content.pack
    pressed = pressed_data(update, cb.Menu)
    topic_id = pressed.topic if pressed else ""
    if not topic_id:
        if person.state and not person.state.startswith("intake"):
            await leave_step(context)  # e.g. "Skip" the rating comment
        await show(update, menus.main_menu(pack, person.audience, context.tr))
    elif topic_id == "emergency":
        await show(update, menus.emergency(pack, context.tr))
    elif topic_id == "eligibility":
        from bot.handlers.eligibility import eligibility_menu

        await show(update, eligibility_menu(context))
    elif topic_id in pack.topics:
        await show(update, menus.topic_menu(pack, topic_id, person.audience, context.tr))
    else:
        await show(update, menus.menu_changed(pack, person.audience, context.tr))


async def on_item(update: Update, context: BotContext) -> None:
    """f:<item>[:<page>] shows one page of an answer."""
    await answer_query(update)
    person = context.person
    if person is None:
        return
    pack = context.services.content.pack
    pressed = pressed_data(update, cb.Item)
    item = pack.items.get(pressed.item) if pressed else None
    if item is None:
        await show(update, menus.menu_changed(pack, person.audience, context.tr))
        return
    voted = await context.services.records.has_voted(person.user_id, item.id)
    screen = menus.item_page(
        pack,
        item,
        pressed.page if pressed and pressed.page and 1 <= pressed.page <= 1000 else 1,
        context.tr,
        flow_titles=context.services.content.flow_titles(item.flows, context.tr.lang),
        voted=voted,
    )
    await show(update, screen)


async def on_feedback(update: Update, context: BotContext) -> None:
    """h:<item>:<1|0> counts a vote once and thanks the person."""
    person = context.person
    if person is None:
        return
    pressed = pressed_data(update, cb.Feedback)
    pack = context.services.content.pack
    if pressed is None or pressed.item not in pack.items or pressed.helpful not in {0, 1}:
        await answer_query(update)
        return
    item_id, helpful = pressed.item, pressed.helpful == 1
    services = context.services
    await services.records.vote(
        person.user_id, item_id, context.tr.lang, helpful, services.clock.now()
    )
    await answer_query(update, context.tr._("Thank you for your feedback!"))
    item = pack.items[item_id]
    screen = menus.item_page(
        pack,
        item,
        1,
        context.tr,
        flow_titles=services.content.flow_titles(item.flows, context.tr.lang),
        voted=True,
    )
    if not helpful:
        # Not helpful: the most useful next step is a person, so say how to reach one.
        screen = menus.Screen(
            screen.text
            + "\n\n"
            + context.tr._(
                "Sorry this did not help. You can ask a caseworker with the button below."
            ),
            screen.rows,
        )
    await show(update, screen)


async def on_emergency(update: Update, context: BotContext) -> None:
    """e: shows the emergency numbers."""
    await answer_query(update)
    await show(update, menus.emergency(context.services.content.pack, context.tr))


async def emergency_command(update: Update, context: BotContext) -> None:
    """/emergency shows the emergency numbers."""
    await show(update, menus.emergency(context.services.content.pack, context.tr))


async def language_command(update: Update, context: BotContext) -> None:
    """/language shows the picker, the current or suggested language first."""
    pack = context.services.content.pack
    await show(update, menus.language_picker(pack, context.tr.lang, False, context.tr))


async def on_language(update: Update, context: BotContext) -> None:
    """l:<code>[:s] sets the language; at first start, then asks the audience question."""
    await answer_query(update)
    person = context.person
    if person is None:
        return
    services = context.services
    pack = services.content.pack
    pressed = pressed_data(update, cb.Language)
    code, first = (pressed.code, pressed.start == cb.Language.FIRST) if pressed else ("?", False)
    if code == "?":
        await show(update, menus.language_picker(pack, context.tr.lang, False, context.tr))
        return
    if code not in pack.languages or not pack.languages[code].enabled:
        await show(update, menus.language_picker(pack, context.tr.lang, False, context.tr))
        return
    await services.people.set_language(person.user_id, code)
    person.language, person.language_chosen = code, True
    context.tr = services.catalogs.tr(code)
    if first and not person.audience_asked:
        await show(update, menus.audience_question(pack, context.tr))
        return
    notice = context.tr._("Language changed.")
    await show(update, menus.main_menu(pack, person.audience, context.tr, notice=notice))


async def on_audience(update: Update, context: BotContext) -> None:
    """a:<audience> or a:- (skip) stores who the person is, then shows the main menu."""
    await answer_query(update)
    person = context.person
    if person is None:
        return
    pack = context.services.content.pack
    pressed = pressed_data(update, cb.Audience)
    audience = pressed.audience if pressed else "-"
    chosen = audience if audience in pack.audiences else None
    await context.services.people.set_audience(person.user_id, chosen)
    person.audience, person.audience_asked = chosen, True
    await show(update, menus.main_menu(pack, chosen, context.tr))


async def about_command(update: Update, context: BotContext) -> None:
    """/about shows the about topic."""
    pack = context.services.content.pack
    person = context.person
    if "about" in pack.topics and person is not None:
        await show(update, menus.topic_menu(pack, "about", person.audience, context.tr))
