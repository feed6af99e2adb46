"""The deployment files: docker-compose.yml runs PostgreSQL and two webhook replicas behind
one TLS proxy, with every setting it uses documented in the README."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_postgres_a_migration_step_two_replicas_and_a_proxy() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "bot", "proxy"}
    bot = services["bot"]
    assert bot["deploy"]["replicas"] == 2
    env = bot["environment"]
    assert (
        env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["WEBHOOK_LISTEN"] == "0.0.0.0:8443"
    for required in ("BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "ABUSE_KEY"):
        assert ":?" in env[required], f"{required} must be required, not defaulted"
    assert services["migrate"]["command"] == ["python", "-m", "bot", "db", "migrate"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "server bot:8443" in nginx and "access_log off" in nginx and "non_idempotent" in nginx


def test_every_setting_the_compose_file_uses_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    used = set(_compose()["services"]["bot"]["environment"])
    assert used <= documented, used - documented


def _compose_command() -> list[str] | None:
    if shutil.which("docker") is not None:
        found = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if found.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("no `docker compose` here (the file is still checked by the tests above)")
    env = {
        "BOT_TOKEN": "1:x",
        "WEBHOOK_URL": "https://h:8443/t",
        "WEBHOOK_SECRET": "s",
        "ABUSE_KEY": "k" * 32,
        "POSTGRES_PASSWORD": "p",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [*command, "config", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
