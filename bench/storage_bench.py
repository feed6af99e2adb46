"""Benchmark 4: queue and storage at 100,000 and 1,000,000 cases; memory with 100,000 people.

Every measurement runs in a fresh `python -m bench.storage_worker` process, so each peak
RSS belongs to that operation alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cases_data import build
from bench.common import ROOT


def worker(*args: str) -> dict[str, Any]:
    """Run one storage_worker op and return its JSON line."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "bench.storage_worker", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"storage_worker {args[0]} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@dataclass
class SizeResult:
    """Figures for one database size."""

    cases: int
    open_cases: int
    insert_seconds: float
    db_bytes: int
    times: dict[str, list[float]]
    fast_checked: int = 0
    fast_equal: bool = False
    whole: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_size(n: int, workdir: Path, repeats: int, export_list: bool) -> SizeResult:
    """Build a database of n cases, then time the queue ops and the whole-table reads."""
    path = workdir / f"cases-{n}.db"
    insert = build(path, n)
    size = sum(p.stat().st_size for p in workdir.glob(f"cases-{n}.db*"))
    ops = worker("queue", str(path), str(repeats))
    result = SizeResult(
        n, int(ops["open"]), insert, size, ops["times"], ops["fast_checked"], ops["fast_equal"]
    )
    whole = ["report-list", "report-stream", "export-stream"]
    if export_list:
        whole.insert(2, "export-list")
    for op in whole:
        args = [op, str(path)]
        if op.startswith("export"):
            args.append(str(workdir / f"export-{n}.csv"))
        result.whole[op] = worker(*args)
    for leftover in workdir.glob(f"*-{n}.*"):
        leftover.unlink()
    return result


@dataclass
class MemoryResult:
    people: int
    real: int
    failed: int
    touch_seconds: float
    stages: dict[str, int]
    peak_rss: int
    flood_entries: int


async def _memory(people: int, real: int) -> MemoryResult:
    from bench.load import BenchEmulator

    emu = BenchEmulator(rate_limits=False)
    await emu.start()
    try:
        first = None
        for i in range(real):
            uid = emu.add_user(f"M{i}", language_code="az").user_id
            first = uid if first is None else first
        with tempfile.TemporaryDirectory(prefix="bench-mem-") as workdir:
            args = [
                "people",
                emu.base_url,
                emu.token,
                str(people),
                str(first or 0),
                str(real),
                workdir,
            ]
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.storage_worker",
                *args,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"memory worker failed:\n{err.decode()[-2000:]}")
        data = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        await emu.stop()
    return MemoryResult(
        people=data["people"],
        real=data["real"],
        failed=data["failed"],
        touch_seconds=data["touch_seconds"],
        stages=data["stages"],
        peak_rss=data["peak_rss"],
        flood_entries=data["flood_entries"],
    )


def memory(people: int, real: int) -> MemoryResult:
    """Peak RSS of the real runtime with `people` people known (`real` of them via updates)."""
    return asyncio.run(_memory(people, real))


def run(sizes: list[int], repeats: int, export_list_up_to: int) -> list[SizeResult]:
    """Each size built, measured and deleted in turn (a million cases take ~0.7 GB)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        for n in sizes:
            results.append(run_size(n, Path(tmp), repeats, n <= export_list_up_to))
    return results
