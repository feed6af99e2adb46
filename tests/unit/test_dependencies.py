"""Dependencies: lower bounds that exclude releases with published advisories, and a lock the
Docker image installs from that pins every runtime dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    out = {}
    for spec in data["project"]["dependencies"]:
        name = re.split(r"[\[<>=!~ ]", spec, maxsplit=1)[0].lower()
        out[name] = spec
    return out


def _locked() -> dict[str, str]:
    pins = re.findall(
        r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", (ROOT / "requirements.lock").read_text(), re.M
    )
    return {name.lower(): version for name, version in pins}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_aiohttp_floor_excludes_releases_with_advisories() -> None:
    spec = _requirements()["aiohttp"]
    floor = re.search(r">=\s*([\d.]+)", spec)
    assert floor is not None and _version(floor.group(1)) >= (3, 12, 14), spec


def test_every_runtime_dependency_is_locked_with_hashes() -> None:
    locked = _locked()
    for name in _requirements():
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
    text = (ROOT / "requirements.lock").read_text()
    assert text.count("--hash=sha256:") >= len(locked)
    assert _version(locked["aiohttp"]) >= (3, 12, 14)


def test_the_image_installs_from_the_lock_on_a_pinned_base() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert base is not None and re.search(r":\d+\.\d+\.\d+", base.group(1)), (
        "pin an exact base release"
    )
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
