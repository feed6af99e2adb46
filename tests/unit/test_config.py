"""Settings: every bad value is one clear line naming the variable; the CLI never tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_values() -> None:
    s = load_settings(
        {
            "BOT_TOKEN": "1:x",
            "STAFF_CHAT_ID": "-1001",
            "ADMIN_IDS": "5, 7",
            "DATABASE_URL": "sqlite:////tmp/x.db",
        }
    )
    assert (
        s.staff_chat_id == -1001 and s.admin_ids == {5, 7} and str(s.database_path) == "/tmp/x.db"
    )
    assert load_settings(
        {"BOT_TOKEN": "1:x", "DATABASE_URL": "sqlite:///data/b.db"}
    ).database_path == Path("data/b.db")


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
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_a_token_prints_one_line_and_exits_non_zero() -> None:
    result = _run({"BOT_TOKEN": ""})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and "BOT_TOKEN" in lines[0]
        and "BotFather" in lines[0]
        and "playground" in lines[0]
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "env", [{"STAFF_CHAT_ID": "x"}, {"ADMIN_IDS": "x"}, {"DATABASE_URL": "redis://x"}]
)
def test_malformed_settings_print_one_line_without_traceback(env: dict[str, str]) -> None:
    result = _run({"BOT_TOKEN": "1:x", **env})
    assert result.returncode != 0
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert "Traceback" not in result.stderr


def test_every_subcommand_has_help() -> None:
    for args in (
        ["run"],
        ["playground"],
        ["emulator"],
        ["content", "check"],
        ["flows", "show"],
        ["export", "cases"],
        ["i18n"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0 and "usage:" in result.stdout


# ----------------------------------------------------------------------------- webhook mode

WEBHOOK = {
    "BOT_TOKEN": "1:x",
    "WEBHOOK_URL": "https://bot.example.org/tg/hook",
    "WEBHOOK_SECRET": "s3cret_-X",
}


def test_polling_unless_a_webhook_url_is_set() -> None:
    s = load_settings({"BOT_TOKEN": "1:x"})
    assert not s.webhook and s.webhook_url == "" and s.webhook_listen == ("0.0.0.0", 8443)
    assert s.webhook_max_connections == 40


def test_webhook_settings() -> None:
    s = load_settings(
        {**WEBHOOK, "WEBHOOK_LISTEN": "127.0.0.1:8080", "WEBHOOK_MAX_CONNECTIONS": "100"}
    )
    assert (
        s.webhook
        and s.webhook_url == "https://bot.example.org/tg/hook"
        and s.webhook_path == "/tg/hook"
    )
    assert s.webhook_listen == ("127.0.0.1", 8080) and s.webhook_secret == "s3cret_-X"
    assert s.webhook_max_connections == 100
    assert load_settings({**WEBHOOK, "WEBHOOK_LISTEN": "[::]:8443"}).webhook_listen == ("::", 8443)
    assert load_settings({**WEBHOOK, "WEBHOOK_SECRET": "a" * 256}).webhook_secret == "a" * 256
    assert load_settings({**WEBHOOK, "WEBHOOK_URL": "https://bot.example.org"}).webhook_path == "/"


@pytest.mark.parametrize(
    "url",
    [
        "https://bot.example.org:8443/hook",
        "https://bot.example.org:88/hook",
        "http://127.0.0.1:9000/hook",
        "http://localhost:1234/x",
        "http://[::1]:8080/x",
        "https://127.0.0.1:5000/x",
    ],
)
def test_webhook_urls_accepted(url: str) -> None:
    assert load_settings({**WEBHOOK, "WEBHOOK_URL": url}).webhook_url == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://bot.example.org/hook", "https://"),  # Telegram posts over HTTPS only
        ("http://10.0.0.5:8080/hook", "https://"),
        ("ftp://bot.example.org/hook", "URL such as"),
        ("bot.example.org/hook", "URL such as"),
        ("https://", "URL such as"),
        ("https://bot.example.org/a b", "URL such as"),
        ("https://bot.example.org:8080/hook", "port 8080"),
        ("https://bot.example.org:99999/hook", "URL such as"),
        ("https://user:pw@bot.example.org/hook", "password"),
        ("https://bot.example.org/healthz", "health"),
    ],
)
def test_bad_webhook_urls_are_one_line_naming_the_variable(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_URL") as raised:
        load_settings({**WEBHOOK, "WEBHOOK_URL": url})
    assert says in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET is required"),
        ({"WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET must be"),
        ({"WEBHOOK_SECRET": "ünïcode"}, "WEBHOOK_SECRET must be"),
        ({"WEBHOOK_SECRET": "a" * 257}, "at most 256"),
        ({"WEBHOOK_LISTEN": "8443"}, "WEBHOOK_LISTEN"),
        ({"WEBHOOK_LISTEN": "0.0.0.0:0"}, "WEBHOOK_LISTEN"),
        ({"WEBHOOK_LISTEN": "0.0.0.0:70000"}, "WEBHOOK_LISTEN"),
        ({"WEBHOOK_LISTEN": ":8443"}, "WEBHOOK_LISTEN"),
        ({"WEBHOOK_MAX_CONNECTIONS": "0"}, "WEBHOOK_MAX_CONNECTIONS"),
        ({"WEBHOOK_MAX_CONNECTIONS": "101"}, "WEBHOOK_MAX_CONNECTIONS"),
        ({"WEBHOOK_MAX_CONNECTIONS": "lots"}, "WEBHOOK_MAX_CONNECTIONS"),
    ],
)
def test_bad_webhook_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names) as raised:
        load_settings({**WEBHOOK, **env})
    assert "\n" not in str(raised.value)


def test_a_bad_secret_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**WEBHOOK, "WEBHOOK_SECRET": "hunter2 with spaces"})
    assert "hunter2" not in str(raised.value)


def test_run_with_a_webhook_url_but_no_secret_is_one_line() -> None:
    result = _run({"BOT_TOKEN": "1:x", "WEBHOOK_URL": "https://bot.example.org/hook"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0] and "Traceback" not in result.stderr
