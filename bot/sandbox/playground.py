"""`python -m bot playground`: the emulator and the real bot together, chatted with in a terminal.

Type as the person; numbers press buttons; `!staff` switches to a caseworker in the staff
group and `!person` back. Reads a script from stdin when it is not a terminal, so a test (or a
content editor previewing a pack) can drive it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import BotRuntime
from bot.config import Settings
from bot.sandbox.driver import BotMessage, GroupDriver, UserDriver
from bot.sandbox.emulator import Emulator

HELP = """\
Type a message as the person (commands like /start work). Press a button by its number.
  !staff         act as a caseworker in the staff group   !person   back to the person
  !topics        list case topics (staff)                 !topic N  write in topic N (staff)
  !photo !voice !doc   send media as the person          !contact  share a phone number
  !wait          wait for the bot                         !help     this text   !quit  leave"""


class Playground:
    """A terminal chat over the emulator: one person, one caseworker, one staff forum."""

    def __init__(self, emu: Emulator, person: UserDriver, caseworker: UserDriver, staff: GroupDriver,
                 out: TextIO) -> None:
        self.emu, self.person, self.caseworker, self.staff, self.out = emu, person, caseworker, staff, out
        self.as_staff = False
        self.thread: int | None = None
        self._shown: dict[tuple[int, int], str] = {}

    def _render(self, message: BotMessage) -> str:
        lines = [message.text or f"[{message.media_kind}]"]
        if message.media_kind and message.text:
            lines[0] = f"[{message.media_kind}] {message.text}"
        return "\n".join(lines) + "".join(
            "\n   " + "  ".join(f"[{label}]" for label in row) for row in self._numbered(message)
        )

    def _numbered(self, message: BotMessage) -> list[list[str]]:
        latest = self._latest_with_buttons()
        if latest is None or (latest.chat_id, latest.message_id) != (message.chat_id, message.message_id):
            return [[b.text for b in row] for row in message.buttons]
        rows, n = [], 0
        for row in message.buttons:
            labels = []
            for button in row:
                n += 1
                labels.append(f"{n} {button.text}")
            rows.append(labels)
        return rows

    def _view(self) -> list[BotMessage]:
        if self.as_staff:
            return self.staff.messages(self.thread) if self.thread else self.staff.messages()
        return self.person.messages()

    def _latest_with_buttons(self) -> BotMessage | None:
        for message in reversed(self._view()):
            if message.buttons:
                return message
        return None

    def print_new(self) -> None:
        """Print bot messages that are new or changed since last time, in both chats."""
        chats = [("bot → you", self.person.messages()), ("bot → staff", self.staff.messages())]
        for title, messages in chats:
            for message in messages:
                key = (message.chat_id, message.message_id)
                content = message.text + repr(message.button_labels()) + str(message.media_kind)
                if self._shown.get(key) == content:
                    continue
                edited = " (edited)" if key in self._shown else ""
                where = f" #topic {message.thread_id}" if message.thread_id else ""
                self._shown[key] = content
                rendered = self._render(message)
                self.out.write(f"\n{title}{where}{edited}:\n{rendered}\n")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Act on one input line; False to stop."""
        line = line.strip()
        if not line:
            return True
        if line in ("!quit", "!exit"):
            return False
        meta = {"!help", "!staff", "!person", "!topics", "!wait"}
        if line in meta or line.startswith("!topic "):
            self._meta(line)
            if line == "!wait":
                await self._settle()
                self.print_new()
            return True
        if line == "!photo":
            await self.person.send_photo(caption="photo from the playground")
        elif line == "!voice":
            await self.person.send_voice()
        elif line == "!doc":
            await self.person.send_document()
        elif line == "!contact":
            await self.person.send_contact("+994500000000")
        elif line.isdigit():
            if not await self._press(int(line)):
                return True
        elif self.as_staff:
            await self.caseworker.send_in(self.staff, line, thread_id=self.thread)
        else:
            await self.person.send(line)
        await self._settle()
        self.print_new()
        return True

    def _meta(self, line: str) -> None:
        """Playground commands that do not talk to the bot."""
        if line == "!help":
            self.out.write(HELP + "\n")
        elif line == "!staff":
            self.as_staff = True
            self.out.write("(you are now the caseworker in the staff group; !topics lists cases)\n")
        elif line == "!person":
            self.as_staff = False
            self.out.write("(you are now the person)\n")
        elif line == "!topics":
            for topic in self.staff.topics():
                if not topic.deleted:
                    self.out.write(f"  topic {topic.thread_id}: {topic.name}\n")
        elif line.startswith("!topic "):
            value = line.split(maxsplit=1)[1]
            self.thread = int(value) if value.isdigit() else None
            self.out.write(f"(writing in topic {self.thread})\n")

    async def _settle(self) -> None:
        """Wait for the bot's answer to the last action, then until it is quiet."""
        watcher = self.staff if self.as_staff else self.person
        try:
            await watcher.wait_for(None, timeout=3)
        except AssertionError:
            pass  # not every action gets an answer in this chat (e.g. a relay to the other side)
        await self.emu.wait_idle(0.3, 15)

    async def _press(self, number: int) -> bool:
        message = self._latest_with_buttons()
        if message is None:
            self.out.write("(no buttons to press)\n")
            return False
        flat = [b for row in message.buttons for b in row]
        if not 1 <= number <= len(flat):
            self.out.write(f"(choose 1–{len(flat)})\n")
            return False
        label = flat[number - 1].text
        if self.as_staff:
            await self.caseworker.press_in(self.staff, label, message)
        else:
            await self.person.press(label, message)
        return True


async def run_playground(
    settings: Settings,
    *,
    database: Path | None = None,
    language_code: str = "en",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Start everything, chat until !quit or end of input, stop everything."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    emu = Emulator(rate_limits=False)
    await emu.start()
    person = emu.add_user("You", language_code=language_code)
    caseworker = emu.add_user("Caseworker", language_code="en")
    staff = emu.add_group("Caseworkers", forum=True, members=[caseworker], admins=[caseworker])
    tmp = tempfile.TemporaryDirectory(prefix="playground-") if database is None else None
    db_path = database or Path(tmp.name) / "playground.db"  # type: ignore[union-attr]
    runtime = BotRuntime(
        settings.with_overrides(
            bot_token=emu.token, bot_api_url=emu.base_url, database_path=db_path,
            staff_chat_id=staff.chat_id, admin_ids=frozenset({caseworker.user_id}), poll_timeout=1,
            pace_chat_interval=0.0, pace_group_per_minute=10_000, pace_overall_per_second=10_000.0,
        )
    )
    interactive = stdin.isatty()
    try:
        await runtime.start()
        play = Playground(emu, person, caseworker, staff, out)
        out.write("Playground: the real bot on a local Telegram emulator. No token, no network.\n")
        out.write(HELP + "\n")
        out.flush()
        while True:
            if interactive:
                out.write(("staff" if play.as_staff else "you") + "> ")
                out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not interactive:
                out.write(("staff" if play.as_staff else "you") + f"> {line.rstrip()}\n")
            if not await play.handle(line):
                break
    finally:
        await runtime.stop()
        await emu.stop()
        if tmp is not None:
            tmp.cleanup()
    return 0
