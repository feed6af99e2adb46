"""A careless operator's start: a rejected token, a wrong BOT_API_URL, an API that is not
there. One line each, no token in it, the store closed, the process ends non-zero."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
from pathlib import Path

import pytest

from bot.sandbox import Emulator

ROOT = Path(__file__).resolve().parents[2]
# A token of Telegram's shape, made per run (nothing token-like is committed); TEST_BOT_TOKEN
# overrides it. The emulator accepts or rejects any token, so it need not be real.
SECRET = os.environ.get("TEST_BOT_TOKEN") or (
    f"{secrets.randbelow(9 * 10**8) + 10**8}:AA{secrets.token_urlsafe(25)[:33]}"
)


async def run_bot(env: dict[str, str], tmp_path: Path, timeout: float = 30) -> tuple[int, str]:  # noqa: ASYNC109
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail("the bot hung instead of exiting")
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def one_clean_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and " INFO " not in line]
    assert "Traceback" not in stderr, stderr
    assert SECRET not in stderr and SECRET.split(":")[1] not in stderr
    assert len(lines) == 1, lines
    return lines[0]


async def test_a_rejected_token_is_one_redacted_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    async with Emulator() as emu:  # knows only its own token: any other is Unauthorized
        code, err = await run_bot({"BOT_TOKEN": SECRET, "BOT_API_URL": emu.base_url}, tmp_path)
    assert code != 0
    assert "BOT_TOKEN" in one_clean_line(err)


async def test_an_api_that_is_not_there_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code, err = await run_bot(
        {"BOT_TOKEN": SECRET, "BOT_API_URL": f"http://127.0.0.1:{port}/bot"}, tmp_path
    )
    assert code != 0
    assert "BOT_API_URL" in one_clean_line(err)


@pytest.mark.parametrize(
    "url",
    [
        "htp://api.telegram.org/bot",
        "https://",
        "api.telegram.org/bot",
        "https://api.telegram.org/bot 1",
        "https://api.telegram.org/",
    ],
)
async def test_a_malformed_api_url_is_refused_before_anything_starts(
    tmp_path: Path, url: str
) -> None:
    code, err = await run_bot({"BOT_TOKEN": SECRET, "BOT_API_URL": url}, tmp_path)
    assert code == 2
    assert "BOT_API_URL" in one_clean_line(err)
