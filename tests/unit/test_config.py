"""Settings: every bad value is one clear line naming the variable; the CLI never tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_values() -> None:
    s = load_settings({"BOT_TOKEN": "1:x", "STAFF_CHAT_ID": "-1001", "ADMIN_IDS": "5, 7",
                       "DATABASE_URL": "sqlite:////tmp/x.db"})
    assert s.staff_chat_id == -1001 and s.admin_ids == {5, 7} and str(s.database_path) == "/tmp/x.db"
    assert load_settings({"BOT_TOKEN": "1:x", "DATABASE_URL": "sqlite:///data/b.db"}).database_path == Path("data/b.db")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "1:x", "STAFF_CHAT_ID": "abc"}, "STAFF_CHAT_ID"),
        ({"BOT_TOKEN": "1:x", "STAFF_CHAT_ID": "12345"}, "STAFF_CHAT_ID"),
        ({"BOT_TOKEN": "1:x", "ADMIN_IDS": "1,bob"}, "ADMIN_IDS"),
        ({"BOT_TOKEN": "1:x", "DATABASE_URL": "mysql://db"}, "DATABASE_URL"),
        ({"BOT_TOKEN": "1:x", "DATABASE_URL": "postgresql://db"}, "DATABASE_URL"),
        ({"BOT_TOKEN": "1:x", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"BOT_TOKEN": "1:x", "FIRST_RESPONSE_HOURS": "1,2"}, "FIRST_RESPONSE_HOURS"),
        ({"BOT_TOKEN": "1:x", "MAX_REQUESTS_PER_DAY": "many"}, "MAX_REQUESTS_PER_DAY"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=60)


def test_run_without_a_token_prints_one_line_and_exits_non_zero() -> None:
    result = _run({"BOT_TOKEN": ""})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "BotFather" in lines[0] and "playground" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("env", [{"STAFF_CHAT_ID": "x"}, {"ADMIN_IDS": "x"}, {"DATABASE_URL": "redis://x"}])
def test_malformed_settings_print_one_line_without_traceback(env: dict[str, str]) -> None:
    result = _run({"BOT_TOKEN": "1:x", **env})
    assert result.returncode != 0
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert "Traceback" not in result.stderr


def test_every_subcommand_has_help() -> None:
    for args in (["run"], ["playground"], ["emulator"], ["content", "check"], ["flows", "show"], ["export", "cases"], ["i18n"]):
        result = subprocess.run([sys.executable, "-m", "bot", *args, "--help"], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and "usage:" in result.stdout
