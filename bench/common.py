"""Shared pieces: percentiles, the result table, machine and commit description."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def ms(seconds: float) -> str:
    """A duration for the table: µs below 1 ms, ms below 1 s, else seconds."""
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 0.1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def secs(seconds: float) -> str:
    """Seconds with a sensible number of digits."""
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.0f} MB"


def peak_rss_bytes() -> int:
    """Peak resident set of this process image: VmHWM, falling back to ru_maxrss."""
    # Linux carries ru_maxrss across fork+exec, so a worker started from a large parent
    # reports the parent's size; VmHWM belongs to the current address space only.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _busy_ticks() -> int:
    """CPU time all processes on the machine spent busy, in clock ticks (/proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return user + nice + system + irq + softirq + steal


def _own_cpu() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Interference:
    """How many cores other processes used while a benchmark ran (others' tests, builds)."""

    # Machine-wide busy time minus this process tree's own CPU, over the wall time; only
    # meaningful once every child this process started has been waited for.

    def __init__(self) -> None:
        self._ticks = _busy_ticks()
        self._own = _own_cpu()
        self._t = time.monotonic()

    def cores(self) -> float:
        hz = os.sysconf("SC_CLK_TCK")
        machine = (_busy_ticks() - self._ticks) / hz
        wall = time.monotonic() - self._t
        return max(0.0, machine - (_own_cpu() - self._own)) / wall if wall > 0 else 0.0


def wait_quiet(max_wait: float, threshold: float = 0.15, window: float = 3.0) -> float:
    """Wait (up to max_wait s) until other processes use under `threshold` cores; return it."""
    # On a small shared machine another engineer's test run halves a CPU-bound figure; a
    # short wait for a quiet spell is cheaper than a misleading table.
    deadline = time.monotonic() + max_wait
    while True:
        probe = Interference()
        time.sleep(window)
        cores = probe.cores()
        if cores < threshold or time.monotonic() >= deadline:
            return cores


@dataclass
class Row:
    """One line of the results table."""

    bench: str
    metric: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "met" / "missed" / "" (informational)


@dataclass
class Section:
    """One benchmark's results: table rows, its parameters, and what explains the figures."""

    title: str
    rows: list[Row] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    others_cores: float = 0.0  # CPU other processes used meanwhile (see Interference)

    def add(self, *args: str, **kwargs: str) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def git_commit() -> str:
    """Short HEAD, plus "dirty" when the work tree has uncommitted changes (read-only git)."""
    head = _run(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"])
    return f"{head} dirty" if dirty else head


def machine() -> list[tuple[str, str]]:
    """CPU model, cores, RAM, Python, SQLite, OS."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    import aiohttp
    import aiosqlite
    import telegram

    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("RAM", ram),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("SQLite", sqlite3.sqlite_version),
        ("OS", os_name),
        (
            "libraries",
            f"python-telegram-bot {telegram.__version__}, aiosqlite {aiosqlite.__version__},"
            f" aiohttp {aiohttp.__version__}",
        ),
    ]
