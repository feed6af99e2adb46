"""The bot as a real child process (`python -m bot run`), for crash and start-up tests.

`python -m tests.faults.botproc` is `python -m bot run` with test-only changes the CLI
has no environment variable for: outbox pacing off (pace_chat_interval, pace_overall_per_second)
and PTB's AIORateLimiter off (its fixed 20-per-minute group cap would throttle the staff chat
whatever PACE_GROUP_PER_MINUTE says); and the content pack read from the test run's pickle
(tests/content_cache.py) when CONTENT_DIR is as the parent loaded it. Everything else is
the real entry point: settings from the environment, logging, `_run`, `run_until_signal`,
exit codes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.content_cache import CACHE, PICKLE_ENV

ROOT = Path(__file__).resolve().parents[2]


def _patch_and_run() -> int:
    import bot.__main__ as cli
    import bot.app
    from bot.bundle.service import LoadedContent, load_content
    from bot.config import Settings, load_settings
    from tests.content_cache import load_pickled

    pickled = os.environ.get(PICKLE_ENV)

    def parent_pack(root: Path) -> LoadedContent:
        """The parent's pack if the folder is as it was then, else read from the disk."""
        loaded = load_pickled(Path(pickled), root) if pickled else None
        return loaded or load_content(root)

    if pickled:
        bot.app.load_content = parent_pack

    def fast_settings(env: Any = None, *, require_token: bool = True) -> Settings:
        settings = load_settings(env, require_token=require_token)
        return settings.with_overrides(
            pace_chat_interval=0.0, pace_overall_per_second=10_000.0, pace_group_per_minute=10_000
        )

    cli.load_settings = fast_settings
    return cli.main(["run"])


def bot_env(
    *,
    token: str,
    api_url: str,
    db_path: Path,
    staff_chat_id: int | None,
    parent_pack: bool = True,
    **extra: str,
) -> dict[str, str]:
    """The child's environment; `parent_pack`: read the run's pickled pack (fast=True runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "STAFF_"))}
    env.update(
        BOT_TOKEN=token,
        BOT_API_URL=api_url,
        DATABASE_URL=f"sqlite:///{db_path}",
        LOG_LEVEL="WARNING",
        CONTENT_DIR=str(ROOT / "content"),
        MAX_MESSAGES_PER_MINUTE="1000",
        PYTHONUNBUFFERED="1",
    )
    if staff_chat_id is not None:
        env["STAFF_CHAT_ID"] = str(staff_chat_id)
    env.update(extra)
    if parent_pack:
        env[PICKLE_ENV] = str(CACHE.pickled(Path(env["CONTENT_DIR"])))
    return env


class BotProcess:
    """One child process at a time: start, SIGKILL, start again; stderr kept per run."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        fast: bool = True,
        prefix: list[str] | None = None,
    ) -> None:
        self.env = env
        self.log_dir = log_dir
        self.fast = fast
        self.prefix = prefix or []
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.kills: list[float] = []  # time.monotonic() of each SIGKILL

    @property
    def argv(self) -> list[str]:
        module = "tests.faults.botproc" if self.fast else "bot"
        tail = [] if self.fast else ["run"]
        return [*self.prefix, sys.executable, "-m", module, *tail]

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.runs += 1
        log = open(self.log_dir / f"bot-run{self.runs}.log", "wb")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        log.close()

    async def kill(self) -> None:
        """SIGKILL, then reap without blocking the event loop (the emulator shares it; a
        process inside fsync takes a while to die)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.kills.append(time.monotonic())
        await asyncio.to_thread(self.proc.wait)

    async def terminate(self, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """SIGTERM (a clean stop) and the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    async def wait(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"the bot did not exit within {timeout}s")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop_quietly(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- run {i} ---\n" + (self.log_dir / f"bot-run{i}.log").read_text(errors="replace")
            for i in range(1, self.runs + 1)
        )


if __name__ == "__main__":
    sys.exit(_patch_and_run())
