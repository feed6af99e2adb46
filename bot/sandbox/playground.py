"""`python -m bot playground`: the emulator and the real bot together, chatted with in a terminal.

Type as the person; numbers press buttons; `!staff` switches to a caseworker in the staff
group and `!person` back. Reads a script from stdin when it is not a terminal, so a test (or a
content editor previewing a pack) can drive it. Ctrl-C, a closed terminal, the end of the
script or bytes that are not UTF-8 all end it (or are read as replacement characters) without
a traceback, and the temporary database goes with it.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO, TypeVar

from bot.app import BotRuntime
from bot.bundle.service import ContentLoader
from bot.config import Settings
from bot.sandbox.driver import BotMessage, GroupDriver, UserDriver
from bot.sandbox.emulator import Emulator

T = TypeVar("T")

HELP = """\
Type a message as the person (commands like /start work). Press a button by its number.
  !staff         act as a caseworker in the staff group   !person   back to the person
  !topics        list case topics (staff)                 !topic N  write in topic N (staff)
  !photo !voice !doc   send media as the person          !contact  share a phone number
  !press TEXT    press the button whose label has TEXT    !wait     wait for the bot
  !help          this text                                !quit     leave
Pop-up answers to buttons show as (pop-up: ...), reply keyboards as ⌨ [...]."""


class Playground:
    """A terminal chat over the emulator: one person, one caseworker, one staff forum."""

    def __init__(
        self,
        emu: Emulator,
        person: UserDriver,
        caseworker: UserDriver,
        staff: GroupDriver,
        out: TextIO,
    ) -> None:
        self.emu, self.person, self.caseworker, self.staff, self.out = (
            emu,
            person,
            caseworker,
            staff,
            out,
        )
        self.as_staff = False
        self.thread: int | None = None
        self._shown: dict[tuple[int, int], str] = {}
        self._popups = {person.user_id: 0, caseworker.user_id: 0}

    def _render(self, message: BotMessage) -> str:
        lines = [message.text or f"[{message.media_kind}]"]
        if message.media_kind and message.text:
            lines[0] = f"[{message.media_kind}] {message.text}"
        keyboard = message.reply_keyboard
        if keyboard:
            lines.append(
                "   ⌨ "
                + "  ".join(f"[{label}]" for row in keyboard for label in row)
                + "   (a keyboard under the text field: type !contact to share the phone)"
            )
        return "\n".join(lines) + "".join(
            "\n   " + "  ".join(f"[{label}]" for label in row) for row in self._numbered(message)
        )

    def _numbered(self, message: BotMessage) -> list[list[str]]:
        latest = self._latest_with_buttons()
        if latest is None or (latest.chat_id, latest.message_id) != (
            message.chat_id,
            message.message_id,
        ):
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
        for driver in (self.person, self.caseworker):
            answers = driver.callback_answers
            for answer in answers[self._popups[driver.user_id] :]:
                if answer.get("text"):
                    kind = "alert" if answer.get("show_alert") else "pop-up"
                    self.out.write(f"({kind} for {driver.first_name}: {answer['text']})\n")
            self._popups[driver.user_id] = len(answers)
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Act on one input line; False to stop."""
        line = line.strip()
        if not line:
            return True
        if line in ("!quit", "!exit"):
            return False
        if line.startswith("!press "):
            return await self._press_label(line.split(maxsplit=1)[1].strip())
        meta = {"!help", "!staff", "!person", "!topics", "!wait"}
        if line in meta or line.startswith("!topic "):
            self._meta(line)
            if line == "!wait":
                await self._settle()
                self.print_new()
            return True
        try:
            if not await self._act(line):
                return True
        except (ValueError, AssertionError) as exc:
            # What Telegram would refuse (a closed topic, a deleted message): say so, go on.
            self.out.write(f"(not possible: {exc})\n")
            return True
        await self._settle()
        self.print_new()
        return True

    async def _act(self, line: str) -> bool:
        """Send what the line says to the emulator; False if nothing was sent."""
        if line == "!photo":
            await self.person.send_photo(caption="photo from the playground")
        elif line == "!voice":
            await self.person.send_voice()
        elif line == "!doc":
            await self.person.send_document()
        elif line == "!contact":
            await self.person.send_contact("+994500000000")
        elif line.isdigit():
            return await self._press(int(line))
        elif self.as_staff:
            await self.caseworker.send_in(self.staff, line, thread_id=self.thread)
        else:
            await self.person.send(line)
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
            value = line.split(maxsplit=1)[1].strip()
            live = {t.thread_id: t for t in self.staff.topics() if not t.deleted}
            if value.isdigit() and int(value) in live:
                self.thread = int(value)
                self.out.write(f"(writing in topic {self.thread}: {live[self.thread].name})\n")
            else:
                known = ", ".join(str(t) for t in live) or "none yet"
                self.out.write(
                    f"(no topic {value!r}; topics: {known}. Still writing in "
                    f"{'topic ' + str(self.thread) if self.thread else 'the General topic'})\n"
                )

    async def _settle(self) -> None:
        """Wait for the bot's answer to the last action, then until it is quiet."""
        watcher = self.staff if self.as_staff else self.person
        try:
            await watcher.wait_for(None, timeout=3)
        except AssertionError:
            pass  # not every action gets an answer in this chat (e.g. a relay to the other side)
        await self.emu.wait_idle(0.3, 15)

    async def _press_label(self, label: str) -> bool:
        """`!press TEXT`: the first button of the latest buttons whose label contains TEXT."""
        message = self._latest_with_buttons()
        if message is None or not any(label in b.text for row in message.buttons for b in row):
            self.out.write(f"(no button containing {label!r})\n")
            return True
        try:
            if self.as_staff:
                await self.caseworker.press_in(self.staff, label, message)
            else:
                await self.person.press(label, message)
        except (ValueError, AssertionError) as exc:
            self.out.write(f"(not possible: {exc})\n")
            return True
        await self._settle()
        self.print_new()
        return True

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


def _readable(stdin: TextIO) -> TextIO:
    """The input with undecodable bytes read as U+FFFD instead of stopping the playground."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is None or getattr(stdin, "errors", "") == "replace" or _has_fd(stdin):
        return stdin  # a real file descriptor is read raw and decoded in _read_lines
    return io.TextIOWrapper(
        buffer,
        encoding=getattr(stdin, "encoding", None) or "utf-8",
        errors="replace",
        line_buffering=True,
    )


def _has_fd(stream: TextIO) -> bool:
    try:
        stream.fileno()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False
    return True


def _read_lines(
    stdin: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]
) -> None:
    """In a daemon thread: every line into the queue, then None (end of input, or an error).

    Not asyncio.to_thread: a thread blocked reading would hold up the event loop's shutdown
    after Ctrl-C. A real terminal, pipe or file is read with os.read, which holds no Python
    lock (a daemon thread inside a buffered readline aborts the interpreter at exit).
    """

    def put(item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody listens
            loop.call_soon_threadsafe(lines.put_nowait, item)

    fd = stdin.fileno() if _has_fd(stdin) else -1
    try:
        if fd < 0:
            for line in iter(stdin.readline, ""):
                put(line)
        else:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            pending = ""
            while chunk := os.read(fd, 4096):
                pending += decoder.decode(chunk)
                *complete, pending = pending.split("\n")
                for line in complete:
                    put(line + "\n")
            pending += decoder.decode(b"", final=True)
            if pending:
                put(pending)
    except (OSError, ValueError):  # the terminal went away, or stdin was closed
        pass
    put(None)


class _Out:
    """Writes that survive a closed terminal: the first failure ends the session quietly."""

    def __init__(self, out: TextIO, stop: asyncio.Event) -> None:
        self._out, self._stop = out, stop
        self.broken = False

    def write(self, text: str) -> int:
        if self.broken:
            return 0
        try:
            return self._out.write(text)
        except (OSError, ValueError):
            self.broken = True
            self._stop.set()
            return 0

    def flush(self) -> None:
        if not self.broken:
            try:
                self._out.flush()
            except (OSError, ValueError):
                self.broken = True
                self._stop.set()


async def run_playground(
    settings: Settings,
    *,
    database: Path | None = None,
    language_code: str = "en",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    webhook: bool = False,
    content_loader: ContentLoader | None = None,
) -> int:
    """Start everything, chat until !quit, end of input, Ctrl-C or a closed terminal; clean up.

    `content_loader`: how the bot reads the pack (BotRuntime.content_loader; tests share one)."""
    stdin = _readable(stdin or sys.stdin)
    stop = asyncio.Event()
    out = _Out(stdout or sys.stdout, stop)
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def on_signal(sig: int) -> None:
        stopped_by.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
    emu = Emulator(rate_limits=False)
    tmp = tempfile.TemporaryDirectory(prefix="playground-") if database is None else None
    db_path = database or Path(tmp.name) / "playground.db"  # type: ignore[union-attr]
    runtime: BotRuntime | None = None
    try:
        await emu.start()
        person = emu.add_user("You", language_code=language_code)
        caseworker = emu.add_user("Caseworker", language_code="en")
        staff = emu.add_group("Caseworkers", forum=True, members=[caseworker], admins=[caseworker])
        settings = settings.with_overrides(
            bot_token=emu.token,
            bot_api_url=emu.base_url,
            database_path=db_path,
            staff_chat_id=staff.chat_id,
            admin_ids=frozenset({caseworker.user_id}),
            poll_timeout=1,
            pace_chat_interval=0.0,
            pace_group_per_minute=10_000,
            pace_overall_per_second=10_000.0,
        )
        if webhook:  # the emulator posts updates to the bot on a free local port
            port = _free_port()
            settings = settings.with_overrides(
                webhook_url=f"http://127.0.0.1:{port}/telegram",
                webhook_listen=("127.0.0.1", port),
                webhook_secret=secrets.token_urlsafe(24),
            )
        else:
            settings = settings.with_overrides(webhook_url="")
        runtime = BotRuntime(settings, content_loader=content_loader)
        interactive = stdin.isatty()
        await runtime.start()
        play = Playground(emu, person, caseworker, staff, out)  # type: ignore[arg-type]
        out.write("Playground: the real bot on a local Telegram emulator. No token, no network.\n")
        out.write(f"The person's Telegram is in {language_code!r} (change it with --lang).\n")
        if webhook:
            out.write(f"Updates arrive by webhook at {settings.webhook_url}.\n")
        out.write(HELP + "\n")
        out.flush()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(
            target=_read_lines, args=(stdin, loop, lines), daemon=True, name="playground-stdin"
        ).start()
        while not stop.is_set():
            if interactive:
                out.write(("staff" if play.as_staff else "you") + "> ")
                out.flush()
            line = await _until(lines.get(), stop)
            if line is None:
                break
            if not interactive:
                out.write(("staff" if play.as_staff else "you") + f"> {line.rstrip()}\n")
            if not await _until(play.handle(line), stop, default=False):
                break
    finally:
        if runtime is not None:
            await runtime.stop()
        await emu.stop()
        if tmp is not None:
            tmp.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    if stopped_by:
        out.write("\n(stopped; nothing was left behind)\n")
        out.flush()
        return 130 if stopped_by[0] == signal.SIGINT else 0
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _until(work: Awaitable[T], stop: asyncio.Event, default: T | None = None) -> T | None:
    """`work`'s result, or `default` as soon as `stop` is set (the work is cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return default
