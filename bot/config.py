"""Settings read from environment variables, validated once at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from bot.numbers import parse_user_id

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_WEBHOOK_LISTEN = ("0.0.0.0", 8443)
# Telegram posts to these ports only; a reverse proxy in front of the bot may listen on one of
# them and forward to WEBHOOK_LISTEN.
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
# Hosts where a plain-http webhook is allowed: the emulator and a local Bot API server, never
# Telegram itself (it posts over HTTPS only).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
HEALTH_PATH = "/healthz"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything an operator can set. Names match the env vars in README.md."""

    bot_token: str = ""
    bot_api_url: str = DEFAULT_API_URL
    database_path: Path = Path("data/bot.db")
    # postgresql://user:password@host:5432/db when set (then database_path is unused).
    database_url: str = ""
    staff_chat_id: int | None = None
    admin_ids: frozenset[int] = frozenset()
    content_dir: Path = Path("content")
    # `content check` warns on answers whose sources were last checked longer ago than this.
    content_max_age_days: int = 365
    log_level: str = "INFO"
    # How a caseworker's reply is signed to the person: "role" ("Caseworker") or "first_name".
    staff_signature: str = "role"
    # Language of the staff side (cards, reminders); empty = the content pack's default.
    staff_language: str = ""
    # Hours until a first response is due, by priority (0 = highest).
    first_response_hours: tuple[int, ...] = (4, 24, 72)
    # Hours after the first reminder before an overdue case is escalated to admins.
    escalation_hours: int = 24
    # How often overdue cases are looked for (reminders, escalations).
    sla_check_seconds: int = 60
    retention_closed_days: int = 180
    retention_inactive_days: int = 365
    max_requests_per_day: int = 3
    max_messages_per_minute: int = 20
    # Updates handled at once across different chats; one chat is always sequential.
    max_concurrent_chats: int = 128
    poll_timeout: int = 25
    # Outbox pacing to Telegram's limits; lower only against a local Bot API server or tests.
    pace_overall_per_second: float = 30.0
    pace_chat_interval: float = 1.0
    pace_chat_burst: float = 3.0
    pace_group_per_minute: int = 20
    # Announcements: the bulk cap (messages a second, inside the overall pace above, so that
    # notices and relays keep a share while a broadcast runs) and how often its progress
    # message in the staff chat is edited (a group takes about 20 messages a minute, edits too).
    broadcast_per_second: float = 25.0
    broadcast_progress_seconds: float = 10.0
    # Key of the abuse record's hashes (blocks and request counts that outlive /delete);
    # empty: a random key made at first start, kept in the database.
    abuse_key: str = ""
    # Webhook mode when set: the public URL Telegram posts updates to (else: getUpdates).
    webhook_url: str = ""
    # Where the webhook server binds (host, port); a proxy may sit between it and Telegram.
    webhook_listen: tuple[str, int] = DEFAULT_WEBHOOK_LISTEN
    # X-Telegram-Bot-Api-Secret-Token that every webhook request must carry.
    webhook_secret: str = ""
    # How many webhook requests Telegram may have open at once.
    webhook_max_connections: int = 40
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def database(self) -> Path | str:
        """What the store opens: the PostgreSQL URL, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def webhook(self) -> bool:
        """Updates arrive by webhook (WEBHOOK_URL set), not by getUpdates."""
        return bool(self.webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, which the webhook server answers on."""
        return urlsplit(self.webhook_url).path or "/"

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (tests and the playground use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}.")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if not value >= minimum:  # also refuses nan
        raise ConfigError(f"{name} must be at least {minimum}, got {raw}.")
    return value


def parse_database_url(url: str) -> Path | str:
    """`sqlite:///path` as a path, `postgresql://...` as the URL; reject anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            "DATABASE_URL must look like sqlite:///path/to/bot.db or "
            f"postgresql://user:password@host:5432/db, got {_redact_url(url)!r}."
        )
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        if rest.startswith("//"):
            path = rest[1:]  # sqlite:////abs/path -> /abs/path
        if not path:
            raise ConfigError("DATABASE_URL has no file path: use sqlite:///data/bot.db.")
        return Path(path)
    if scheme in {"postgres", "postgresql"}:
        host = rest.split("/", 1)[0].rpartition("@")[2]
        if not host or "/" not in rest or not rest.split("/", 1)[1].split("?")[0]:
            raise ConfigError(
                "DATABASE_URL needs a host and a database name: "
                f"postgresql://user:password@host:5432/db, got {_redact_url(url)!r}."
            )
        return "postgresql://" + rest
    raise ConfigError(
        f"DATABASE_URL scheme {scheme!r} is unknown; use sqlite:///path/to/bot.db or "
        "postgresql://user:password@host:5432/db."
    )


def _redact_url(url: str) -> str:
    """A URL with its password hidden (it may be in an error message the operator shares)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.partition("@")
    if at and ":" in credentials:
        return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"
    return url


def _abuse_key(env: Mapping[str, str]) -> str:
    key = env.get("ABUSE_KEY", "").strip()
    if key and len(key) < 32:
        raise ConfigError(
            "ABUSE_KEY must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)."
        )
    return key


def parse_api_url(raw: str) -> str:
    """BOT_API_URL: an http(s) URL ending in /bot (PTB appends the token and the method)."""
    url = raw.strip() or DEFAULT_API_URL
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in {"http", "https"} or not sep or not host or any(c.isspace() for c in url):
        raise ConfigError(
            f"BOT_API_URL must look like {DEFAULT_API_URL} (or http://host:port/bot for a "
            f"local Bot API server), got {url!r}."
        )
    if not url.endswith("/bot"):
        raise ConfigError(f"BOT_API_URL must end in /bot, e.g. {DEFAULT_API_URL}, got {url!r}.")
    return url


def parse_webhook_url(raw: str) -> str:
    """WEBHOOK_URL: https://host[:port]/path, Telegram's ports only; http:// only on this
    machine."""
    url = raw.strip()
    example = "https://bot.example.org/telegram/webhook"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError(f"WEBHOOK_URL must be a URL such as {example}, got {url!r}.") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host or any(c.isspace() for c in url):
        raise ConfigError(f"WEBHOOK_URL must be a URL such as {example}, got {url!r}.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise ConfigError(
            f"WEBHOOK_URL must not carry a user, a password or a #fragment, got {url!r}."
        )
    local = host in LOCAL_HOSTS
    if parts.scheme == "http" and not local:
        raise ConfigError(
            "WEBHOOK_URL must start with https:// (Telegram posts over HTTPS only; "
            "http:// is allowed for 127.0.0.1 and localhost, i.e. "
            f"the emulator or a local Bot API server), got {url!r}."
        )
    if not local and port is not None and port not in WEBHOOK_PORTS:
        raise ConfigError(
            f"WEBHOOK_URL port {port} is not one Telegram posts to (443, 80, 88 or 8443): put a "
            f"proxy on one of them and let it forward to WEBHOOK_LISTEN, got {url!r}."
        )
    if (parts.path or "/") == HEALTH_PATH:
        raise ConfigError(
            f"WEBHOOK_URL must not end in {HEALTH_PATH} (that path is the health check)."
        )
    return url


def parse_listen(raw: str) -> tuple[str, int]:
    """WEBHOOK_LISTEN: host:port ([::]:8443 for IPv6)."""
    text = raw.strip()
    if not text:
        return DEFAULT_WEBHOOK_LISTEN
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if (
        not sep
        or not host
        or any(c.isspace() for c in host)
        or not port_text.isdigit()
        or not 1 <= int(port_text) <= 65535
    ):
        raise ConfigError(
            f"WEBHOOK_LISTEN must be host:port, e.g. 0.0.0.0:8443 or 127.0.0.1:8080, got {text!r}."
        )
    return host, int(port_text)


def _webhook_secret(env: Mapping[str, str], url: str) -> str:
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if url and not secret:
        raise ConfigError(
            "WEBHOOK_SECRET is required when WEBHOOK_URL is set: "
            "1-256 characters of A-Z a-z 0-9 _ - (e.g. the output of `openssl rand -hex 32`)."
        )
    if secret and not _WEBHOOK_SECRET.fullmatch(secret):
        # The value itself is never echoed: it is a password.
        problem = (
            f"it has {len(secret)}, at most 256 are allowed"
            if len(secret) > 256
            else "it has other characters"
        )
        raise ConfigError(
            f"WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - ({problem}; "
            "`openssl rand -hex 32` makes a good one)."
        )
    return secret


def load_settings(env: Mapping[str, str] | None = None, *, require_token: bool = True) -> Settings:
    """Read and validate settings; raise ConfigError with one clear line on a bad value."""
    env = os.environ if env is None else env
    token = env.get("BOT_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "BOT_TOKEN is not set: get a token from @BotFather in Telegram and run "
            "BOT_TOKEN=... python -m bot run (or try the bot offline: python -m bot playground)."
        )

    staff_raw = env.get("STAFF_CHAT_ID", "").strip()
    staff_chat_id: int | None = None
    if staff_raw:
        try:
            staff_chat_id = int(staff_raw)
        except ValueError:
            raise ConfigError(
                f"STAFF_CHAT_ID must be a chat id such as -1001234567890, got {staff_raw!r}."
            ) from None
        if staff_chat_id >= 0:
            raise ConfigError(
                "STAFF_CHAT_ID must be a group id (negative, e.g. -1001234567890), "
                f"got {staff_raw!r}."
            )

    admin_ids: set[int] = set()
    for part in env.get("ADMIN_IDS", "").split(","):
        part = part.strip()
        if not part:
            continue
        admin_id = parse_user_id(part)
        if admin_id is None:
            raise ConfigError(
                f"ADMIN_IDS must be comma-separated numeric Telegram user ids, got {part!r}."
            )
        admin_ids.add(admin_id)

    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(
            f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {level!r}."
        )

    signature = env.get("STAFF_SIGNATURE", "role").strip() or "role"
    if signature not in {"role", "first_name"}:
        raise ConfigError(f"STAFF_SIGNATURE must be 'role' or 'first_name', got {signature!r}.")

    hours_raw = env.get("FIRST_RESPONSE_HOURS", "").strip()
    hours: tuple[int, ...] = (4, 24, 72)
    if hours_raw:
        try:
            hours = tuple(int(h) for h in hours_raw.split(","))
        except ValueError:
            raise ConfigError(
                "FIRST_RESPONSE_HOURS must be comma-separated hours by priority "
                f"(high,normal,low), got {hours_raw!r}."
            ) from None
        if len(hours) != 3 or any(h <= 0 for h in hours):
            raise ConfigError(
                "FIRST_RESPONSE_HOURS needs three positive numbers: high,normal,low (e.g. 4,24,72)."
            )

    content_dir = Path(env.get("CONTENT_DIR", "content").strip() or "content")

    webhook_raw = env.get("WEBHOOK_URL", "").strip()
    webhook_url = parse_webhook_url(webhook_raw) if webhook_raw else ""
    max_connections = _int(env, "WEBHOOK_MAX_CONNECTIONS", 40, 1)
    if max_connections > 100:
        raise ConfigError(
            f"WEBHOOK_MAX_CONNECTIONS must be between 1 and 100, got {max_connections}."
        )

    database = parse_database_url(env.get("DATABASE_URL", "").strip() or "sqlite:///data/bot.db")
    return Settings(
        bot_token=token,
        bot_api_url=parse_api_url(env.get("BOT_API_URL", "")),
        database_url=database if isinstance(database, str) else "",
        database_path=database if isinstance(database, Path) else Path("data/bot.db"),
        staff_chat_id=staff_chat_id,
        admin_ids=frozenset(admin_ids),
        content_dir=content_dir,
        content_max_age_days=_int(env, "CONTENT_MAX_AGE_DAYS", 365, 1),
        log_level=level,
        staff_signature=signature,
        staff_language=env.get("STAFF_LANGUAGE", "").strip(),
        first_response_hours=hours,
        escalation_hours=_int(env, "ESCALATION_HOURS", 24, 1),
        sla_check_seconds=_int(env, "SLA_CHECK_SECONDS", 60, 5),
        retention_closed_days=_int(env, "RETENTION_CLOSED_DAYS", 180, 1),
        retention_inactive_days=_int(env, "RETENTION_INACTIVE_DAYS", 365, 1),
        max_requests_per_day=_int(env, "MAX_REQUESTS_PER_DAY", 3, 1),
        max_messages_per_minute=_int(env, "MAX_MESSAGES_PER_MINUTE", 20, 1),
        max_concurrent_chats=_int(env, "MAX_CONCURRENT_CHATS", 128, 1),
        pace_group_per_minute=_int(env, "PACE_GROUP_PER_MINUTE", 20, 1),
        pace_overall_per_second=_float(env, "PACE_OVERALL_PER_SECOND", 30.0, 0.1),
        broadcast_per_second=_float(env, "BROADCAST_PER_SECOND", 25.0, 0.1),
        broadcast_progress_seconds=_float(env, "BROADCAST_PROGRESS_SECONDS", 10.0, 3.0),
        abuse_key=_abuse_key(env),
        webhook_url=webhook_url,
        webhook_listen=parse_listen(env.get("WEBHOOK_LISTEN", "")),
        webhook_secret=_webhook_secret(env, webhook_url),
        webhook_max_connections=max_connections,
    )
