"""The playground works from a script on stdin: a person, then a caseworker, both sides shown."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox.playground import run_playground
from tests.content_cache import ContentCache

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
/start
1
4
!contact
passport
!staff
!topics
!person
/requests
!quit
"""


async def test_playground_runs_a_script(tmp_path: Path, content_cache: ContentCache) -> None:
    out = io.StringIO()
    stdin = io.StringIO(SCRIPT)
    settings = Settings(content_dir=ROOT / "content")
    code = await run_playground(
        settings,
        database=tmp_path / "p.db",
        stdin=stdin,
        stdout=out,
        content_loader=content_cache.get,
    )
    text = out.getvalue()
    assert code == 0
    assert "[1 English]" in text  # buttons are numbered
    assert "Main menu" in text  # pressing 1 (English) then 4 (skip) reached the menu
    assert "Here is what I found" in text  # typed text searched the FAQ
    assert "(you are now the caseworker" in text
    assert "You have no requests yet" in text


async def test_playground_in_webhook_mode(tmp_path: Path, content_cache: ContentCache) -> None:
    out = io.StringIO()
    settings = Settings(content_dir=ROOT / "content")
    code = await run_playground(
        settings,
        database=tmp_path / "p.db",
        stdin=io.StringIO(SCRIPT),
        stdout=out,
        webhook=True,
        content_loader=content_cache.get,
    )
    text = out.getvalue()
    assert code == 0
    assert "Updates arrive by webhook at http://127.0.0.1:" in text
    assert (
        "Main menu" in text
        and "Here is what I found" in text
        and "You have no requests yet" in text
    )


async def test_wrong_topics_and_bytes_that_are_not_utf8_do_not_stop_it(
    tmp_path: Path, content_cache: ContentCache
) -> None:
    script = (
        b"/start\n!press English\n!press Skip\n\xff\xfe broken\n"
        b"!staff\n!topic 999\n!topic abc\n!quit\n"
    )
    out = io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(script), encoding="utf-8")
    code = await run_playground(
        Settings(content_dir=ROOT / "content"),
        database=tmp_path / "p.db",
        stdin=stdin,
        stdout=out,
        content_loader=content_cache.get,
    )
    text = out.getvalue()
    assert code == 0
    assert "\ufffd\ufffd broken" in text  # read as replacement characters, answered by the bot
    assert "(no topic '999'" in text and "(no topic 'abc'" in text
    assert "Traceback" not in text


async def test_popups_and_the_share_phone_keyboard_are_shown(
    tmp_path: Path, content_cache: ContentCache
) -> None:
    script = (
        "\n".join(
            [
                "/start",
                "!press English",
                "!press Skip",
                "how do I register my address",
                "!press Registering where you stay",
                "!press Helpful",  # answered with a pop-up
                "!press Ask a caseworker about this",
                "!press Documents",
                "my passport was stolen",
                "!press Done",  # the share-phone reply keyboard
                "!press Nothing like this",  # no such button: said, not a crash
                "!quit",
            ]
        )
        + "\n"
    )
    out = io.StringIO()
    code = await run_playground(
        Settings(content_dir=ROOT / "content"),
        database=tmp_path / "p.db",
        stdin=io.StringIO(script),
        stdout=out,
        content_loader=content_cache.get,
    )
    text = out.getvalue()
    assert code == 0
    assert "(pop-up for You: Thank you for your feedback!)" in text
    assert "⌨ [📞 Share my phone number]" in text
    assert "(no button containing 'Nothing like this')" in text


def _start(tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "playground"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_banner(proc: subprocess.Popen[bytes]) -> bytes:
    assert isinstance(proc.stdout, io.BufferedReader)  # default bufsize: has read1
    seen = b""
    deadline = time.monotonic() + 30
    while b"!quit" not in seen and time.monotonic() < deadline:  # the end of the help text
        seen += proc.stdout.read1(4096)
    return seen


@pytest.mark.parametrize(("how", "code"), [("ctrl-c", 130), ("hangup", 0), ("end of input", 0)])
def test_ctrl_c_a_closed_terminal_or_the_end_of_input_stop_it_cleanly(
    tmp_path: Path, how: str, code: int
) -> None:
    proc = _start(tmp_path)
    try:
        _wait_for_banner(proc)
        assert proc.stdin is not None
        proc.stdin.write(b"/start\n")
        proc.stdin.flush()
        time.sleep(0.5)
        if how == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        elif how == "hangup":
            proc.send_signal(signal.SIGHUP)
        else:
            proc.stdin.close()
        assert proc.wait(timeout=20) == code  # no stall: the stdin reader does not hold it up
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert "Traceback" not in stderr, stderr
    assert not list(tmp_path.glob("playground-*")), "the temporary database was left behind"
