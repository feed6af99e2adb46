"""`python -m bench`: every benchmark, a table on the terminal, bench/RESULTS.md rewritten."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.botproc import EXPERIMENTS, what_ifs
from bench.common import ROOT, Interference, Section, mb, ms, percentile, verdict, wait_quiet
from bench.report import markdown, terminal, write

BENCHES = ("reply", "cpu", "instances", "search", "storage", "conversation", "announcements")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~1 minute smoke run at small sizes")
    parser.add_argument(
        "--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}"
    )
    parser.add_argument("--people", type=int, help="people in the reply benchmark (default 200)")
    parser.add_argument(
        "--big-people", type=int, help="people in the large reply runs (default 1000)"
    )
    parser.add_argument("--latency", type=float, help="seconds per Bot API call (default 0.05)")
    parser.add_argument(
        "--think", type=float, help="mean pause between a person's steps, seconds (default 2)"
    )
    parser.add_argument(
        "--firehose-people",
        type=int,
        help="people × 8 pre-queued updates in the CPU benchmark (default 200)",
    )
    parser.add_argument(
        "--repeats", type=int, help="CPU benchmark runs per bot (median; default 3)"
    )
    parser.add_argument("--search-items", type=int, help="items in the scaled pack (default 10000)")
    parser.add_argument("--cases", help="comma-separated case counts (default 100000,1000000)")
    parser.add_argument(
        "--memory-people", type=int, help="people known in the RSS run (default 100000)"
    )
    parser.add_argument(
        "--subscribers", type=int, help="subscribers in the announcement benchmark (default 100000)"
    )
    parser.add_argument(
        "--no-what-if",
        action="store_true",
        help="skip the what-if runs that quantify the recommendations",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="cProfile the bot process in the load runs; stats written to DIR",
    )
    parser.add_argument(
        "--out", help="results file (default bench/RESULTS.md; quick runs write none)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        metavar="SECONDS",
        help="before each benchmark, wait up to this long for other processes to go quiet "
        "(default 120; quick runs 0)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "people": 30 if quick else 200,
        "big_people": 60 if quick else 1000,
        "latency": 0.05,
        "think": 0.5 if quick else 2.0,
        "firehose_people": 40 if quick else 200,
        "repeats": 1 if quick else 3,
        "search_items": 2000 if quick else 10_000,
        "cases": "20000" if quick else "100000,1000000",
        "memory_people": 10_000 if quick else 100_000,
        "subscribers": 2_000 if quick else 100_000,
        "wait_quiet": 0.0 if quick else 120.0,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.what_if = not (quick or args.no_what_if)
    return args


def ratio(value: float, baseline: float) -> str:
    if not baseline or value != value or baseline != baseline:
        return ""
    r = value / baseline
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def _profile_path(args: argparse.Namespace, name: str) -> str | None:
    if not args.profile:
        return None
    folder = Path(args.profile)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.txt")


# ------------------------------------------------------------------------------ 1. reply


def reply_section(args: argparse.Namespace) -> Section:
    """Benchmark 1: time to reply under load with the shipped defaults, vs a bare PTB echo bot."""
    from bench.load import ReplyRun, reply_run

    s = Section("1. Time to reply under load (shipped defaults)")
    t0 = time.monotonic()
    n, big, lat, think = args.people, args.big_people, args.latency, args.think
    runs: dict[str, ReplyRun] = {}
    runs["full think"] = asyncio.run(
        reply_run("full", n, lat, think, profile_path=_profile_path(args, "reply-full"))
    )
    runs["echo think"] = asyncio.run(reply_run("echo", n, lat, think))
    runs["full surge"] = asyncio.run(
        reply_run("full", n, lat, 0.0, profile_path=_profile_path(args, "reply-surge"))
    )
    runs["echo surge"] = asyncio.run(reply_run("echo", n, lat, 0.0))
    runs["full think big"] = asyncio.run(reply_run("full", big, lat, think))
    runs["full surge big"] = asyncio.run(reply_run("full", big, lat, 0.0))
    hostile = asyncio.run(reply_run("full", n, lat, think, attackers=max(2, n // 40)))
    what_if = floor = None
    if args.what_if:
        what_if = asyncio.run(reply_run("full", n, lat, 0.0, experiments=what_ifs()))
        # PTB's own floor on this machine: the echo bot with its updates run at once.
        floor = asyncio.run(reply_run("echo-concurrent", n, lat, 0.0))

    b = "1 reply"
    targets = {  # p95, p99 (seconds) by (people, profile)
        (n, "think"): (0.5, 1.0),
        (n, "surge"): (0.5, 1.0),
        (big, "think"): (1.5, None),
        (big, "surge"): (1.5, None),
    }
    for label, people, profile in (
        ("think", n, "think"), ("surge", n, "surge"), ("think big", big, "think"),
        ("surge big", big, "surge"),
    ):  # fmt: skip
        full = runs[f"full {label}"]
        echo = runs.get(f"echo {label}")
        p95_target, p99_target = targets[(people, profile)]
        for q in (50, 95, 99):
            row = s.add(
                b,
                f"{profile}: reply p{q} ({people} people, L={lat * 1000:.0f} ms)",
                ms(full.p(q)),
                ms(echo.p(q)) if echo else "",
                ratio(full.p(q), echo.p(q)) if echo else "",
            )
            goal = p95_target if q == 95 else p99_target if q == 99 else None
            if goal is not None:
                row.target = f"≤ {ms(goal)}"
                row.verdict = verdict(full.p(q) <= goal)
        s.add(
            b,
            f"{profile}: updates/s ({people} people)",
            f"{full.rate:.0f}",
            f"{echo.rate:.0f}" if echo else "",
            ratio(full.rate, echo.rate) if echo else "",
        )
        refused = s.add(
            b,
            f"{profile}: 429s from the emulator ({people} people)",
            str(full.refused),
            str(echo.refused) if echo else "",
        )
        if profile == "surge":
            refused.target, refused.verdict = "0", verdict(full.refused == 0)
        s.add(
            b,
            f"{profile}: people whose replies all came, in order ({people})",
            f"{full.in_order}/{people}",
            f"{echo.in_order}/{people}" if echo else "",
            target=f"{people}/{people}",
            verdict=verdict(full.in_order == people),
        )
    late = {k: r.late_answers for k, r in runs.items() if r.late_answers}
    if late:
        s.add(
            b,
            "button answers after Telegram's 15 s",
            str(runs["full surge"].late_answers),
            str(runs["echo surge"].late_answers),
        )
    block = hostile.bot.worst_block
    s.add(
        b,
        "worst event-loop block, hostile updates mixed in",
        ms(block),
        target="≤ 20 ms",
        verdict=verdict(block <= 0.020),
    )
    if what_if is not None:
        s.add(
            b,
            f"what-if {' + '.join(what_ifs())}, surge: p50 / p95 / p99",
            f"{ms(what_if.p(50))} / {ms(what_if.p(95))} / {ms(what_if.p(99))}",
            target="(informational)",
        )
    if floor is not None:
        s.add(
            b,
            "what-if echo bot, concurrent_updates=True, surge: p50 / p95 / p99 "
            f"({n} people; PTB's defaults otherwise)",
            f"{ms(floor.p(50))} / {ms(floor.p(95))} / {ms(floor.p(99))}",
            target="(informational)",
        )
        s.add(
            b,
            "what-if echo bot, concurrent_updates=True, surge: updates/s / CPU per update",
            f"{floor.rate:.0f} / {ms(floor.bot.cpu_seconds / max(floor.bot.handled, 1))}",
            target="(informational)",
        )

    full, echo, surge = runs["full think"], runs["echo think"], runs["full surge"]
    calls_full = sum(surge.api_calls.values()) / max(surge.updates, 1)
    s.params = [
        "Each simulated person runs one session: /start → pick a language → skip the audience "
        "question → open a topic → open two answers with a double tap (both presses in flight at "
        "once, so per-chat order is really tested) → search once (a query in their language, with "
        "typos or missing diacritics) → “Ask a caseworker” → pick a category (the first intake "
        "step). 9 updates per person; the echo bot gets the same updates (texts echoed, presses "
        "answered). Everyone starts at the same instant.",
        f"Two profiles: **think** (a pause of {0.5 * think:.1f}–{1.5 * think:.1f} s between steps, "
        "as "
        "a person reads and taps) and **surge** (each person sends the next update as soon as the "
        f"reply arrives); {n} and {big} people.",
        f"Emulator (bot.sandbox) with {lat * 1000:.0f} ms latency on every Bot API call "
        "(getUpdates "
        "included) and Telegram-like flood control ON (a reply to a person who just wrote passes; "
        "what a bot starts is capped at ~30/s overall and ~1/s per chat; groups 20/min); every 429 "
        "it answers is counted.",
        "Full bot: exactly what `python -m bot run` does with only BOT_TOKEN set (`load_settings` "
        "from the environment: BOT_API_URL points at the emulator, DATABASE_URL at a temporary "
        "file, CONTENT_DIR at this checkout's pack; every other setting at its default: polling "
        "with a 25 s long poll, durable inbox with synchronous=FULL, reply limiter and outbox "
        "pacing "
        "at Telegram's limits, 64 chats at once, log level INFO).",
        "Echo bot: PTB `Application` with its default `Updater` polling and default settings "
        "(updates handled one at a time), a MessageHandler echoing text and a "
        "CallbackQueryHandler answering presses. It is not run at "
        f"{big} people (at ~20 updates/s it would need ~{9 * big / 20 / 60:.0f} min per profile).",
        "Reply time: from the moment the person's update is queued in the emulator until the "
        "emulator has handled the bot's reply (full bot: the message or edit the script waits "
        "for; echo bot: the echo, or answerCallbackQuery for a press). 5 warm-up people run first "
        "and are not counted.",
        f"Hostile row: {n} people in the think profile plus {max(2, n // 40)} who each send six "
        "hostile texts (4096-letter words in Latin and Cyrillic, 2048 emoji, 1365 two-letter "
        "words, mixed scripts with direction marks, 1000 `<b>`), every event-loop step of the bot "
        "timed (bot.sandbox.loopwatch).",
        "Each bot runs in a child process, so the simulated people and the emulator (this "
        "process) do not share its CPU.",
    ]
    steps = list(surge.by_step)
    per_step = ", ".join(
        f"{k} {ms(percentile(surge.by_step[k], 50))}/{ms(percentile(surge.by_step[k], 95))}"
        for k in steps
    )
    cpu_per = surge.bot.cpu_seconds / max(surge.updates, 1)
    p95 = surge.p(95)
    s.notes = [
        f"**Surge, {n} people: p95 {ms(p95)} (target 0.5 s: "
        f"{'met' if p95 <= 0.5 else f'missed by {ms(p95 - 0.5)}'}), p99 {ms(surge.p(99))}**; "
        f"the echo bot's surge p95 is {ms(runs['echo surge'].p(95))}. Think profile p95 "
        f"{ms(full.p(95))} against the echo bot's {ms(echo.p(95))}.",
        "",
        f"- Surge per step, p50/p95: {per_step}.",
        f"- In the surge the bot handled {surge.rate:.0f} updates/s at {1000 * cpu_per:.1f} ms CPU "
        "per "
        f"update (process busy {surge.busy:.0%} of one core over its whole life, "
        f"{calls_full:.2f} Bot API calls per update). In a closed loop of {n} people with no "
        "pause, "
        f"the reply time is about {n} / throughput: {n / max(surge.rate, 1) * 1000:.0f} ms here.",
        f"- A reply cannot be faster than its Bot API round trips: the update waits for the "
        f"running getUpdates (one at a time per token, {lat * 1000:.0f} ms each here), then the "
        f"edit or message takes another {lat * 1000:.0f} ms.",
        f"- {big} people: think p95 {ms(runs['full think big'].p(95))}, surge p95 "
        f"{ms(runs['full surge big'].p(95))} at {runs['full surge big'].rate:.0f} updates/s.",
        f"- Hostile updates: the longest single event-loop step was {ms(block)} "
        f"({hostile.bot.worst_block_what or 'n/a'}; of which garbage collection "
        f"{ms(hostile.bot.worst_block_gc)}); the longest collection "
        f"{ms(hostile.bot.worst_gc_pause)}"
        f"; {hostile.bot.blocks_over_20ms} steps over 20 ms in the whole run. The loaded pack is "
        "frozen out of full collections after start and reloads (bot.heap): before, one full "
        "collection walked it and was the only step over 20 ms (80–120 ms).",
        f"- The echo bot handles one update at a time ({echo.rate:.0f} updates/s ≈ 1 / "
        f"({lat * 1000:.0f} ms + overhead)), so each person waits for everyone queued before them.",
    ]
    if what_if is not None:
        s.notes.append(
            "- What-if (surge, full bot patched in its process only: "
            + "; ".join(EXPERIMENTS[e] for e in what_ifs())
            + f"): p95 {ms(what_if.p(95))} at {what_if.rate:.0f} updates/s."
        )
    errors = [e for r in runs.values() for e in r.bot.errors]
    if errors:
        s.notes.append(f"- Bot errors logged: {errors[:3]}")
    s.seconds = time.monotonic() - t0
    return s


# ------------------------------------------------------------------------------ 2. CPU


def cpu_section(args: argparse.Namespace) -> Section:
    """Benchmark 2: updates per second at zero latency, durable inbox on, vs the echo bot."""
    from bench.load import FirehoseRun, firehose_run

    s = Section("2. CPU cost at zero latency")
    t0 = time.monotonic()
    runs: dict[str, list[FirehoseRun]] = {"full": [], "echo": []}
    for i in range(args.repeats):
        for kind in ("full", "echo"):
            prof = _profile_path(args, f"firehose-{kind}") if i == 0 else None
            runs[kind].append(asyncio.run(firehose_run(kind, args.firehose_people, prof)))
    shim: list[FirehoseRun] = []
    if args.what_if:
        shim = [
            asyncio.run(firehose_run("full", args.firehose_people, experiments=what_ifs()))
            for _ in range(args.repeats)
        ]

    def med(items: list[FirehoseRun], key: Callable[[FirehoseRun], float]) -> float:
        return statistics.median(key(r) for r in items)

    def rate(r: FirehoseRun) -> float:
        return r.rate

    def cpu(r: FirehoseRun) -> float:
        return r.cpu_per_update

    full_rate, echo_rate = med(runs["full"], rate), med(runs["echo"], rate)
    full_cpu, echo_cpu = med(runs["full"], cpu), med(runs["echo"], cpu)
    updates = runs["full"][0].updates
    b = "2 cpu"
    s.add(
        b,
        f"updates/s draining {updates} queued updates, L=0",
        f"{full_rate:.0f}",
        f"{echo_rate:.0f}",
        ratio(full_rate, echo_rate),
        "≥ 0.50× baseline",
        verdict(full_rate >= 0.5 * echo_rate),
    )
    s.add(b, "bot CPU per update", ms(full_cpu), ms(echo_cpu), ratio(full_cpu, echo_cpu))
    calls_full = med(runs["full"], lambda r: r.api_calls / r.updates)
    calls_echo = med(runs["echo"], lambda r: r.api_calls / r.updates)
    s.add(
        b,
        "Bot API calls per update",
        f"{calls_full:.2f}",
        f"{calls_echo:.2f}",
        ratio(calls_full, calls_echo),
    )
    busy_full = med(runs["full"], lambda r: r.bot.cpu_seconds / r.wall)
    busy_echo = med(runs["echo"], lambda r: r.bot.cpu_seconds / r.wall)
    s.add(b, "bot process busy (share of one core)", f"{busy_full:.0%}", f"{busy_echo:.0%}")
    if shim:
        shim_rate, shim_cpu = med(shim, rate), med(shim, cpu)
        s.add(
            b,
            f"what-if {' + '.join(what_ifs())}: updates/s / CPU per update",
            f"{shim_rate:.0f} / {ms(shim_cpu)}",
            f"{echo_rate:.0f}",
            ratio(shim_rate, echo_rate),
            "(informational)",
        )
    all_rates = {k: ", ".join(f"{r.rate:.0f}" for r in v) for k, v in runs.items()}
    s.params = [
        f"{args.firehose_people} people × 8 updates (/start, language, skip audience, topic, "
        "answer, a typed search, another answer, main menu), interleaved across people, all "
        "queued in the emulator at once while the bot polls; timed from queueing to the bot's "
        "last reply. Each update gets exactly one counted reply.",
        "Emulator latency 0, Telegram-like flood control on; full bot = the shipped defaults as in "
        "benchmark 1 (durable inbox: every update committed to SQLite before its offset is "
        "confirmed, marked done after, done-marks of handlers finishing together in one commit); "
        "echo bot as in benchmark 1.",
        f"{args.repeats} run(s) per bot, alternating; the table shows medians "
        f"(full: {all_rates['full']} updates/s; echo: {all_rates['echo']}).",
        "CPU is the bot process's own user+system time (all its threads, SQLite's included).",
    ]
    verdict_text = "met" if full_rate >= 0.5 * echo_rate else "missed"
    s.notes = [
        f"**Target ≥ half the bare bot's updates/s: {verdict_text}** — {full_rate:.0f} vs "
        f"{echo_rate:.0f} updates/s = {full_rate / echo_rate:.2f}× (target 0.50×; "
        f"{'short by' if full_rate < 0.5 * echo_rate else 'ahead by'} "
        f"{abs(full_rate - 0.5 * echo_rate):.0f} updates/s).",
        "",
        f"- Per update the full bot spends {ms(full_cpu)} of CPU against {ms(echo_cpu)}, and makes "
        f"{calls_full:.2f} Bot API calls against {calls_echo:.2f}: a press is answered "
        "(answerCallbackQuery) and edited, and every HTTP call through PTB/httpx costs "
        "roughly as much CPU as the whole echo handler.",
        f"- Both processes are CPU-bound here (full {busy_full:.0%}, echo {busy_echo:.0%} of one "
        "core: one event loop each, plus the full bot's SQLite thread), so the ratio of rates "
        "follows the ratio of CPU per update.",
        "- Profile (py-spy on the firehose, this machine, while writing this benchmark; not "
        "re-run each time): ~45–55% of the full bot's event-loop samples are inside PTB's "
        "request path (httpx/httpcore/h11/anyio), ~8% in de_json of results; handlers, search, "
        "rendering and the storage layer are a few % each; SQLite runs in its own thread and "
        "mostly waits on fsync. Before a56aad8 made sniffio a dependency, another ~12% went to "
        "a failing `import sniffio` that httpcore retried for every lock it created.",
        "- So the remaining gap is mostly the second API call per press and PTB's per-call "
        "cost; the inbox itself (one batched insert per getUpdates, one UPDATE per update) "
        "is a small share of the CPU.",
    ]
    if shim:
        s.notes.append(
            "- What-if, measured in this run ("
            + "; ".join(EXPERIMENTS[e] for e in what_ifs())
            + f"): {med(shim, rate):.0f} updates/s at {ms(med(shim, cpu))} per update."
        )
    s.seconds = time.monotonic() - t0
    return s


# ------------------------------------------------------------------------------ 2b. instances


def instances_section(args: argparse.Namespace) -> Section:
    """Benchmark 2b: several instances on one PostgreSQL against one process on SQLite."""
    from bench import pg
    from bench.load import SHIPPED, FirehoseRun, ReplyRun, Topology, firehose_run, reply_run

    s = Section("2b. Several instances on one PostgreSQL")
    t0 = time.monotonic()
    b = "2b instances"
    if not asyncio.run(pg.reachable()):
        s.add(
            b,
            "instance rows",
            f"skipped: PostgreSQL not reachable at {pg.ADMIN_URL}",
            target="(needs PostgreSQL)",
        )
        s.seconds = time.monotonic() - t0
        return s
    topologies = [SHIPPED, *(Topology(k, postgres=True) for k in (1, 2, 3))]
    n, lat = args.people, args.latency
    fire: dict[str, list[FirehoseRun]] = {t.label: [] for t in topologies}
    for _ in range(args.repeats):
        for t in topologies:
            fire[t.label].append(
                asyncio.run(firehose_run("full", args.firehose_people, topology=t))
            )
    surge: dict[str, ReplyRun] = {
        t.label: asyncio.run(reply_run("full", n, lat, 0.0, topology=t)) for t in topologies
    }

    def rate(label: str) -> float:
        return statistics.median(r.rate for r in fire[label])

    base = rate(SHIPPED.label)
    one = rate(Topology(1, postgres=True).label)
    for t in topologies:
        row = s.add(
            b,
            f"updates/s at L=0, {t.label}",
            f"{rate(t.label):.0f}",
            f"{base:.0f}",
            ratio(rate(t.label), base),
        )
        if t.postgres and t.instances == 2:
            row.target = "≥ 1.8× one PostgreSQL process"
            row.verdict = verdict(rate(t.label) >= 1.8 * one)
    for t in topologies:
        run = surge[t.label]
        s.add(
            b,
            f"surge: reply p95 ({n} people, L={lat * 1000:.0f} ms), {t.label}",
            ms(run.p(95)),
            ms(surge[SHIPPED.label].p(95)),
            ratio(run.p(95), surge[SHIPPED.label].p(95)),
        )
        s.add(
            b,
            f"surge: people whose replies all came, in order, {t.label}",
            f"{run.in_order}/{n}",
            target=f"{n}/{n}",
            verdict=verdict(run.in_order == n),
        )
    cpu = {label: statistics.median(r.cpu_per_update for r in runs) for label, runs in fire.items()}

    def machine_cpu(label: str) -> tuple[float, float, float, float]:
        """Per update (medians): bots, emulator + people, PostgreSQL; and all cores' share."""
        runs = fire[label]
        bots = statistics.median(r.cpu_per_update for r in runs)
        emulator = statistics.median(r.emulator_cpu / max(r.updates, 1) for r in runs)
        server = statistics.median(r.server_cpu / max(r.updates, 1) for r in runs)
        busy = statistics.median(
            (
                r.bot.cpu_seconds
                + r.emulator_cpu
                + (r.server_cpu if r.server_cpu == r.server_cpu else 0.0)
            )
            / max(r.wall * cores, 1e-9)
            for r in runs
        )
        return bots, emulator, server, busy

    two = rate(Topology(2, postgres=True).label)
    cores = os.cpu_count() or 1
    s.params = [
        "Firehose and surge as in benchmarks 2 and 1 (the same updates and sessions), run "
        "against four set-ups in this run: the shipped default (one process, SQLite, polling) "
        "and 1, 2 and 3 processes in webhook mode on one PostgreSQL 15 on this machine.",
        "Instances: BotSpec's shipped settings plus DATABASE_URL, WEBHOOK_URL, WEBHOOK_LISTEN and "
        "WEBHOOK_SECRET; the emulator posts each update to the next instance in turn (a "
        "balancer in front of them, as nginx would be, without its cost landing on the bots); "
        "each chat is handled by the instance holding its lease, the outbox by one instance.",
        f"{args.repeats} firehose run(s) per set-up, medians; one surge run each.",
        f"This machine has {cores} cores; the emulator, the simulated people and PostgreSQL "
        "share them with the bot processes.",
    ]
    s.notes = [
        f"**2 processes: {two:.0f} updates/s = {two / max(one, 1):.2f}× one PostgreSQL process "
        f"(target 1.8×: {'met' if two >= 1.8 * one else 'missed'})**; one PostgreSQL process "
        f"makes {one / max(base, 1):.2f}× the SQLite default's {base:.0f} updates/s.",
        "",
        "- CPU per update (all bot processes summed): "
        + ", ".join(f"{label} {ms(v)}" for label, v in cpu.items())
        + ".",
        f"- With {cores} cores the processes compete with the emulator and PostgreSQL for the "
        "same CPUs: the scaling figure is a floor for machines where the bots have cores of "
        "their own.",
    ]
    for t in topologies:
        if not t.postgres:
            continue
        bots, emulator, server, busy = machine_cpu(t.label)
        whole = bots + emulator + server
        s.notes.append(
            f"- Where the CPU goes, {t.label}: per update bots {ms(bots)} + emulator and people "
            f"{ms(emulator)} + PostgreSQL {ms(server)} = {ms(whole)}; the machine was "
            f"{busy:.0%} busy, so {cores} cores allow at most about "
            f"{cores / whole if whole > 0 else float('nan'):.0f} updates/s for this set-up, "
            "however many bot processes share them."
        )
    errors = [e for runs in fire.values() for r in runs for e in r.bot.errors]
    errors += [e for r in surge.values() for e in r.bot.errors]
    if errors:
        s.notes.append(f"- Bot errors logged: {errors[:3]}")
    s.seconds = time.monotonic() - t0
    return s


# ------------------------------------------------------------------------------ 3. search


def search_section(args: argparse.Namespace) -> Section:
    """Benchmark 3: SearchIndex.search p50/p99 against a naive substring scan."""
    from bench import search_bench

    s = Section("3. Search")
    t0 = time.monotonic()
    repeats = 5 if args.quick else 20
    r = search_bench.run(args.search_items, repeats)
    b = "3 search"
    idx50, idx99 = percentile(r.index_times, 50), percentile(r.index_times, 99)
    nv50, nv99 = percentile(r.naive_times, 50), percentile(r.naive_times, 99)
    s.add(b, f"search p50 ({r.items} items, 5 languages)", ms(idx50), ms(nv50), ratio(idx50, nv50))
    s.add(
        b, "search p99", ms(idx99), ms(nv99), ratio(idx99, nv99), "≤ 5 ms", verdict(idx99 <= 0.005)
    )
    s.add(
        b,
        "queries with at least one hit",
        f"{r.index_found}/{r.queries}",
        f"{r.naive_found}/{r.queries}",
    )
    s.add(b, "index build (once per content load)", f"{r.build_seconds:.1f} s")
    s.params = [
        f"The starter pack (content/) scaled to {r.items} items with `scaled_pack` "
        f"({r.languages} languages of texts), one `SearchIndex.build`.",
        f"{r.queries} queries, 10 per language (en, ru, az, tr, fa), as people type them: typos "
        "(“residance permit”), Azerbaijani and Turkish without diacritics (“is icazesi”), Russian "
        "typed on the Latin layout (“ghjgbcrf”), Arabic letter variants in Persian; each searched "
        f"in the person's language and its fallbacks, {repeats} times ({r.samples} samples).",
        "Baseline: a naive scan of the same texts (title, keywords, synonyms, answer, lower-cased) "
        f"for each query word as a substring, {max(1, repeats // 10)} time(s) per query.",
    ]
    slow = "; ".join(f"{ms(t)} “{q}” ({lang})" for t, lang, q in r.slowest)
    s.notes = [
        f"**Target p99 ≤ 5 ms: {'met' if idx99 <= 0.005 else 'missed'}** — p99 {ms(idx99)} "
        f"({'under' if idx99 <= 0.005 else 'over'} by {ms(abs(0.005 - idx99))}); the naive "
        f"scan's p99 is {ms(nv99)}, {nv99 / idx99:.0f}× slower.",
        "",
        "- The index answers from SQLite FTS5 with typo candidates from a symmetric-delete "
        "vocabulary, and ranks at most 300 rows per FTS query, so cost barely grows with the "
        "pack; the naive scan reads every text of every language in the chain for each query.",
        f"- Slowest single searches: {slow} (queries that fall through to the typo and any-word "
        "stages run several FTS queries).",
        "- The naive scan finds “something” for almost every query because short words match "
        "inside longer ones; that is not relevance.",
    ]
    s.seconds = time.monotonic() - t0
    return s


# ------------------------------------------------------------------------------ 4. storage


def storage_section(args: argparse.Namespace) -> Section:
    """Benchmark 4: queue ops, report and export at scale; RSS with 100k people."""
    from bench import storage_bench

    s = Section("4. Queue and storage")
    t0 = time.monotonic()
    sizes = [int(x) for x in str(args.cases).split(",") if x]
    repeats = 30 if args.quick else 200
    # Today's list paths take over a minute and ~1.6 GB each at 1M: /report's runs at every
    # size (it is the chat command), `bot export`'s only up to 100k to keep the run short.
    results = storage_bench.run(sizes, repeats, export_list_up_to=100_000)
    memory_people = args.memory_people
    real = 100 if args.quick else 1000
    mem = storage_bench.memory(memory_people, real)
    b = "4 storage"
    queue_target = 0.020
    largest = max(sizes)
    queue_ok = True
    for res in results:
        label = f"{res.cases // 1000}k" if res.cases < 1_000_000 else f"{res.cases // 1_000_000}M"
        for op, name in (
            ("queue", "/queue (CasesRepo.queue)"),
            ("mine", "/mine (queue by assignee)"),
            ("count_open", "count_open (/queue header)"),
            ("get", "case lookup (get)"),
        ):
            times = res.times[op]
            p50, p99 = percentile(times, 50), percentile(times, 99)
            row = s.add(b, f"{name} p50 / p99 @{label}", f"{ms(p50)} / {ms(p99)}")
            if res.cases == largest:
                row.target = "p99 ≤ 20 ms"
                row.verdict = verdict(p99 <= queue_target)
                queue_ok = queue_ok and p99 <= queue_target
        find = res.times["find"]
        s.add(
            b,
            f"/find (LIKE scan) median / max @{label}",
            f"{ms(statistics.median(find))} / {ms(max(find))}",
            target="(informational)",
        )
        w = res.whole
        if "report-stream" in w:
            st = w["report-stream"]
            base = w.get("report-list")
            s.add(
                b,
                f"report, all cases, streamed @{label}",
                f"{st['seconds']:.1f} s, peak {mb(st['peak_rss'])}",
                f"{base['seconds']:.1f} s, peak {mb(base['peak_rss'])}" if base else "",
                ratio(st["seconds"], base["seconds"]) if base else "",
            )
        if "export-stream" in w:
            st = w["export-stream"]
            base = w.get("export-list")
            s.add(
                b,
                f"CSV export, all cases, streamed @{label}",
                f"{st['seconds']:.1f} s, peak {mb(st['peak_rss'])}",
                f"{base['seconds']:.1f} s, peak {mb(base['peak_rss'])}" if base else "",
                ratio(st["seconds"], base["seconds"]) if base else "",
            )
    s.add(
        b,
        f"peak RSS, {mem.people // 1000}k people known",
        mb(mem.peak_rss),
        target="≤ 150 MB",
        verdict=verdict(mem.peak_rss <= 150 * 2**20),
    )

    open_share = sum(r.open_cases for r in results) / max(1, sum(r.cases for r in results))
    s.params = [
        f"Cases: {', '.join(f'{r.cases:,}' for r in results)} synthetic cases bulk-inserted with "
        "SQL into a temporary database created by `open_store` (all migrations): three years "
        f"of intake in id order; {open_share:.1%} open (recent intake plus a thin stale tail), the "
        "rest "
        "mostly closed; languages az 45% / ru 30% / en 10% / fa 8% / tr 7%; seven categories; "
        "regions Baku-heavy with 24% unknown; 25% with vulnerabilities; households 1–4 adults, "
        "0–4 children; outcomes, services, ratings on closed cases; descriptions of 12–60 words; "
        "15% with questionnaire answers. No ANALYZE (the bot never runs it).",
        f"Queue ops: {repeats} rounds of /queue, count_open and /mine (12 caseworkers) and 5 "
        "random "
        "case lookups each, interleaved, through `CasesRepo` on the bot's own connection settings; "
        "3 /find searches.",
        "Report and export run over every case, each in a fresh process (so the peak RSS is "
        "its own). Value column: the streaming path (bench/storage_worker.py `stream_into` over "
        "the new `CasesRepo.iter_records_fast`, consumer in a thread). Baseline column: what "
        "/report and `python -m bot export cases` do today (every record of `iter_records` "
        "collected in a list, then `build_report` / `write_csv`); export's baseline only up to "
        "100k cases (at 1M it is the same list as /report's, plus writing).",
        f"Memory: a fresh process starts the real `BotRuntime` (against the emulator) on a "
        f"database holding {memory_people - real:,} people rows (bulk SQL), calls "
        "`PeopleRepo.touch` for each and feeds the flood window as `resolve_person` does "
        f"(timestamps 1,000 people a minute), then {real} more people send /start through the "
        "whole pipeline. Peak RSS is the process's VmHWM (/proc/self/status): `ru_maxrss` would "
        "report the launching bench process's size, as Linux keeps it across fork+exec "
        "(checked: a worker started from a 300 MB parent reads 310 MB there, 11 MB in VmHWM).",
    ]
    mem_stage = ", ".join(f"{k} {mb(v)}" for k, v in mem.stages.items())
    flood_peak = min(50_001, memory_people - real)
    flood_bytes = max(0, mem.stages["touched"] - mem.stages["started"])
    queue_p99 = max(percentile(r.times["queue"], 99) for r in results if r.cases == largest)
    big = next(r for r in results if r.cases == largest)
    s.notes = [
        f"**Target queue ops p99 ≤ 20 ms at {largest:,} cases: {'met' if queue_ok else 'missed'}** "
        "— "
        f"/queue p99 {ms(queue_p99)} with {big.open_cases:,} open cases "
        f"({'under' if queue_p99 <= queue_target else 'over'} by "
        f"{ms(abs(queue_target - queue_p99))}).",
        "",
        "- /queue filters `status IN (open)` through the `cases_queue` index and sorts the open "
        "cases in a temporary B-tree (ORDER BY `assignee_id IS NOT NULL`, priority, created_at), "
        "so it grows with the number of open cases, not with all cases; case lookup is a "
        "primary-key read plus the aiosqlite thread hop.",
        "- /find is a LIKE scan over every description and message: fine at 100k, "
        "about half a second at 1M (no index can serve `%word%`; an FTS table would).",
        "",
        f"**Target peak RSS ≤ 150 MB with {mem.people:,} people: "
        f"{'met' if mem.peak_rss <= 150 * 2**20 else 'missed'}** — {mb(mem.peak_rss)} "
        f"({'under' if mem.peak_rss <= 150 * 2**20 else 'over'} by "
        f"{mb(abs(150 * 2**20 - mem.peak_rss))}).",
        "",
        f"- RSS by stage: {mem_stage}. The started runtime (content pack, search index, PTB, "
        "gettext catalogs) is most of it. People rows live in SQLite, not in memory; what grows "
        "per person is the FloodGuard window, a dict of deques (one per person who wrote in "
        "the last minute) that is pruned only once it passes 50,000 entries, so it peaks at "
        f"~50,000 entries: {mb(flood_bytes)} here, ~{flood_bytes / flood_peak / 1024:.1f} KB each "
        f"(it holds {mem.flood_entries:,} at the end).",
        f"- {mem.real} people through the real pipeline added no measurable per-person state "
        "(PTB keeps no user_data/chat_data for them; the AIORateLimiter was off here and keeps "
        "per-group state only).",
        "",
        "**Report and export (no target; whole-table operations):**",
        "",
    ]
    big_list = big.whole["report-list"]
    per_case = (big_list["peak_rss"] - big_list["rss_before"]) / big.cases
    per_row = big_list["seconds"] / big.cases
    for res in results:
        w = res.whole
        parts = []
        for op, label in (
            ("report-list", "/report as today"),
            ("report-stream", "report streamed"),
            ("export-list", "export as today"),
            ("export-stream", "export streamed"),
        ):
            if op in w:
                parts.append(f"{label} {w[op]['seconds']:.1f} s / peak {mb(w[op]['peak_rss'])}")
        s.notes.append(
            f"- {res.cases:,} cases ({res.open_cases:,} open, database "
            f"{mb(res.db_bytes)}, built in {res.insert_seconds:.0f} s): " + "; ".join(parts) + "."
        )
    same_records = (
        "the same records as iter_records"
        if all(r.fast_equal for r in results)
        else "RECORDS DIFFER from iter_records"
    )
    s.notes += [
        f"- Today's path collects every record before aggregating: memory grows "
        f"~{per_case / 1024:.1f} KB per case ({mb(per_case * 1_000_000)} at a million), and "
        "`iter_records` builds a full CaseRow per case with every timestamp through "
        "`datetime.strptime` (~70% of its time in a cProfile taken while writing this; ~50 µs "
        "a row, so each 5,000-row batch holds the event loop for about a quarter of a second "
        f"while /report runs); the whole path costs {1e6 * per_row:.0f} µs a case here.",
        "- The streamed path uses `CasesRepo.iter_records_fast` (added at the end of "
        "bot/storage/cases.py: only the columns a CaseRecord has, `datetime.fromisoformat`, "
        "next batch fetched while the current one is consumed; "
        f"{same_records}"
        f" in this run's check of {sum(r.fast_checked for r in results):,} records) "
        "and runs `build_report` / `write_csv` in a worker thread over a bounded queue; memory "
        "stays near the idle process plus a few batches (build_report keeps two lists of "
        "durations for its medians).",
    ]
    s.seconds = time.monotonic() - t0
    return s


# ------------------------------------------------------------------------------ 5. conversation


def conversation_section(args: argparse.Namespace) -> Section:
    """Benchmark 5: the realistic query set through the bot's understanding of typed text."""
    from bench import queryset

    s = Section("5. Understanding typed messages")
    t0 = time.monotonic()
    queries = queryset.load_queries()
    scores = queryset.through_router(queries)
    b = "5 conversation"

    def row(metric: str, value: str, target: str, ok: bool | None) -> None:
        s.add(b, metric, value, target=target, verdict="" if ok is None else verdict(ok))

    queryset.table(scores, row)
    s.params = [
        f"{len(queries)} queries in tests/fixtures/queries.yaml ({', '.join(queryset.LANGUAGES)}), "
        "written as people type them (typos, no diacritics, transliteration, the wrong keyboard "
        "layout, mixed languages, Dari words) with the answers or reactions a caseworker would "
        "expect; each through `bot.content.understand.understand`, the function the text "
        "handler calls (tests/e2e/test_conversation.py sends them through the emulator too).",
        "faq top-1 / top-3: an acceptable item is first / among the first three offered. "
        'Answered confidently: first and shown as the answer (not as "not sure"). Other kinds: '
        "the share of messages that got the right reaction (a greeting back, the offer of a "
        'caseworker first, the emergency numbers first, an honest "not sure" out of scope).',
    ]
    common = ", ".join(f"{i} ({n})" for i, n in scores.wrong_first.most_common(3))
    s.notes = [
        "Targets (issue 12): top-3 ≥ 95%; right reaction ≥ 90% for greetings, requests for a "
        "person, emergencies and out-of-scope questions: "
        f"{'all met' if not scores.misses() else 'missed: ' + '; '.join(scores.misses())}.",
        f"- Items most often first when they should not be: {common or 'none'}.",
        *(
            f"- Miss: [{q.lang} {q.kind}] “{q.q}” → {o.reply} {', '.join(o.items[:3])}"
            for q, o in scores.failures
        ),
    ]
    s.seconds = time.monotonic() - t0
    return s


def announcements_section(args: argparse.Namespace) -> Section:
    """Benchmark 7: one announcement to many subscribers, people writing meanwhile."""
    from bench.announce import announce_run

    s = Section("7. Announcements to subscribers")
    t0 = time.monotonic()
    n = args.subscribers
    run = asyncio.run(announce_run(n, latency=args.latency))
    b = "7 announce"
    assert run.bot is not None
    share = run.rate / run.cap if run.cap else float("nan")
    s.add(
        b,
        f"delivered ({n} subscribers)",
        f"{run.delivered}/{n}, twice: {run.twice}",
        target=f"{n}/{n}, twice: 0",
        verdict=verdict(run.delivered == n and run.twice == 0),
    )
    s.add(
        b,
        "delivery rate vs the configured cap",
        f"{run.rate:.1f}/s of {run.cap:.0f}/s ({share:.0%})",
        target="≥ 95%",
        verdict=verdict(share >= 0.95),
    )
    s.add(
        b, "429s from the emulator", str(run.refused), target="0", verdict=verdict(run.refused == 0)
    )
    s.add(
        b,
        "peak RSS of the bot process",
        mb(run.bot.peak_rss),
        target="≤ 150 MB",
        verdict=verdict(run.bot.peak_rss <= 150 * 2**20),
    )
    p95 = percentile(run.reply_latencies, 95)
    s.add(
        b,
        f"a person's reply during the broadcast: p50 / p95 ({len(run.reply_latencies)} replies)",
        f"{ms(percentile(run.reply_latencies, 50))} / {ms(p95)}, unanswered: {run.reply_failures}",
        target="p95 ≤ 0.5 s, unanswered: 0",
        verdict=verdict(p95 <= 0.5 and run.reply_failures == 0),
    )
    s.add(b, "bot CPU per delivered announcement", ms(run.bot.cpu_seconds / max(run.delivered, 1)))
    s.params = [
        f"{n} subscribers (people who used the bot, topic documents or everything, English) seeded "
        "into the bot's SQLite file; an admin sends `/announce registration-reminder` in the staff "
        "group and confirms; the bot sends it through the outbox (fed from the broadcast's cursor "
        "in "
        "batches of two seconds' worth), at BROADCAST_PER_SECOND (default 25) inside the overall "
        "pace of 30/s.",
        f"Emulator with {args.latency * 1000:.0f} ms per Bot API call and Telegram-like flood "
        "control "
        "ON (what a bot starts: ~30/s overall, ~1/s per chat; groups 20/min, edits included): the "
        "progress message in the staff group is edited every 10 s.",
        "Meanwhile 20 people each send /help every 2–6 s (inside MAX_MESSAGES_PER_MINUTE); their "
        "reply time is measured from the "
        "update to the bot's message. Delivery rate: announcements delivered, first to last.",
        "Shipped defaults: `python -m bot run` with BOT_TOKEN, plus STAFF_CHAT_ID and ADMIN_IDS.",
    ]
    s.notes = [
        f"Report in the staff group: {run.report.splitlines()[1] if run.report else '(none)'}"
    ]
    s.seconds = time.monotonic() - t0
    return s


SECTIONS: dict[str, Callable[[argparse.Namespace], Section]] = {
    "reply": reply_section,
    "cpu": cpu_section,
    "instances": instances_section,
    "search": search_section,
    "storage": storage_section,
    "conversation": conversation_section,
    "announcements": announcements_section,
}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [c for c in chosen if c not in SECTIONS]
    if unknown:
        print(f"unknown benchmark(s): {unknown}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    sections = []
    for name in chosen:
        if args.wait_quiet > 0:
            busy = wait_quiet(args.wait_quiet)
            if busy >= 0.15:
                print(
                    f"note: still {busy:.1f} cores busy elsewhere after {args.wait_quiet:.0f} s; "
                    "running anyway",
                    flush=True,
                )
        print(f"running {name} ...", flush=True)
        interference = Interference()
        try:
            section = SECTIONS[name](args)
        except Exception as exc:  # one broken benchmark must not lose the others' figures
            section = Section(f"{name} (failed)")
            section.add(name, "benchmark failed", f"{type(exc).__name__}: {exc}"[:200])
            section.notes = ["The run raised before finishing; rerun this section alone."]
            print(f"{name} failed: {exc!r}", file=sys.stderr, flush=True)
        section.others_cores = interference.cores()
        if section.others_cores > 0.2:
            print(
                f"note: other processes used {section.others_cores:.1f} of "
                f"{os.cpu_count()} cores meanwhile; figures may be pessimistic",
                flush=True,
            )
        sections.append(section)
        print(terminal([section]), "\n", flush=True)
    total = time.monotonic() - started
    print(terminal(sections))
    out = args.out or (None if args.quick else str(ROOT / "bench" / "RESULTS.md"))
    if out:
        command = "python -m bench" + (" " + " ".join(argv) if argv else "")
        write(Path(out), markdown(sections, command, total, args.quick))
        print(f"\nwrote {out} ({total / 60:.1f} min)")
    else:
        print(f"\n(quick run: {total:.0f} s; results not written — pass --out FILE to keep them)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
