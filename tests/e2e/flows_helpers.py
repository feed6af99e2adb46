"""Steps people take in many tests: onboarding, opening a request."""

from __future__ import annotations

from bot.sandbox import BotMessage, UserDriver


def has_data(prefix: str):
    """A predicate: the message has a button whose callback data starts with `prefix`."""

    def check(message: BotMessage) -> bool:
        return any(
            (b.callback_data or "").startswith(prefix) for row in message.buttons for b in row
        )

    return check


async def onboard(person: UserDriver, language_label: str = "English") -> BotMessage:
    """/start, pick a language, skip the audience question: the main menu."""
    await person.send("/start")
    await person.wait_for(has_data("l:"))
    await person.press(language_label)
    await person.wait_for(has_data("a:"))
    await person.press_data("a:-", person.last().message_id)
    return await person.wait_for(has_data("e:"))


async def open_request(
    person: UserDriver,
    description: str,
    *,
    category: str = "documents",
    photo: bool = False,
    voice: bool = False,
) -> int:
    """Ask a caseworker: category, description (+media), skip details, consent. Returns the
    case id."""
    await person.press_data("r:new", person.last().message_id)
    await person.wait_for(has_data("i:cat:"))
    await person.press_data(f"i:cat:{category}", person.last().message_id)
    await person.wait_for(has_data("i:x"))
    await person.send(description)
    await person.wait_for(has_data("i:done"))
    if photo:
        await person.send_photo(caption="my passport")
        await person.wait_for(has_data("i:done"))
    if voice:
        await person.send_voice()
        await person.wait_for(has_data("i:done"))
    await person.press_data("i:done", _last_with(person, "i:done").message_id)
    await person.wait_for(has_data("i:phone:-"))
    await person.press_data("i:phone:-", _last_with(person, "i:phone:-").message_id)
    await person.wait_for(has_data("i:region:-"))
    await person.send("Baku")
    await person.wait_for(has_data("i:adults:"))
    await person.press_data("i:adults:2", person.last().message_id)
    await person.wait_for(has_data("i:children:"))
    await person.press_data("i:children:1", person.last().message_id)
    await person.wait_for(has_data("i:v:"))
    await person.press_data("i:v:done", person.last().message_id)
    await person.wait_for(has_data("i:ok"))
    await person.press_data("i:ok", person.last().message_id)
    sent = await person.wait_for(lambda m: "#" in m.text and has_data("r:list")(m))
    number = sent.text.split("#", 1)[1].split()[0].strip(".\u2069")
    return int("".join(ch for ch in number if ch.isdigit()))


def _last_with(person: UserDriver, prefix: str) -> BotMessage:
    for message in reversed(person.messages()):
        if has_data(prefix)(message):
            return message
    raise AssertionError(f"no message with a {prefix} button")


def person_said(message: BotMessage) -> str | None:
    """What the person wrote, in a copy the bot made in the staff chat (under its mark)."""
    text = message.text
    if not text.startswith("💬"):
        return None
    return text.split("\n", 1)[1].strip() if "\n" in text else ""
