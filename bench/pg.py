"""PostgreSQL for the instance rows: a database of the run's own, dropped afterwards.

The server is BENCH_POSTGRES_URL (default the project machines' local trust-auth server);
without one the rows say so instead of a figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def reachable() -> bool:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(ADMIN_URL), timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    import asyncpg

    name = f"helpdesk_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def server_cpu_seconds() -> float:
    """CPU seconds used so far by the PostgreSQL server on this machine: every `postgres`
    process (the postmaster and its backends, from /proc) plus what exited backends left in
    the postmaster's children times. NaN where it cannot be read (no /proc, a remote server)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, list[str]]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return float("nan")
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        if comm != "postgres":
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
        stats[int(name)] = (int(fields[1]), fields)
    if not stats:
        return float("nan")
    total = 0
    for _pid, (ppid, fields) in stats.items():
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if ppid not in stats:  # the postmaster: add its reaped children
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / ticks
