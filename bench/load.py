"""Benchmarks 1 and 2: time to reply under load, and CPU cost, full bot vs a bare PTB echo bot.

Both bots run in a child process (bench.botproc) against the same emulator in this process,
with the emulator's flood caps off for both. People are simulated here by writing straight
into the emulator (as the sandbox drivers do) and watching what the bot does through hooks
on the emulator, so waiting costs nothing per event (the drivers' wait_for rescans the
emulator's global event list on every change, which at 200 people would cost more CPU than
the bot under test).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import pg
from bench.botproc import BotGroup, BotSpec, BotStats
from bench.common import ROOT, cpu_seconds, percentile
from bench.queries import LANGUAGES, QUERIES
from bot.sandbox.emulator import Emulator, Message

WEBHOOK_SECRET = "bench-instances-secret"


@dataclass(frozen=True)
class Topology:
    """Where the full bot runs: one process on SQLite polling (the shipped default), or N
    instances in webhook mode on one PostgreSQL behind a balancer (the emulator spreads the
    posts round robin, as nginx in front of them would, at no cost to the bot processes)."""

    instances: int = 1
    postgres: bool = False

    @property
    def label(self) -> str:
        if not self.postgres:
            return "1 process, SQLite"
        return f"{self.instances} process{'es' if self.instances > 1 else ''}, PostgreSQL"


SHIPPED = Topology()


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@contextlib.asynccontextmanager
async def _bots(
    kind: str,
    emu: Emulator,
    workdir: str,
    topology: Topology,
    *,
    profile_path: str | None = None,
    experiments: tuple[str, ...] = (),
    env: tuple[tuple[str, str], ...] = (),
    watch_loop: bool = False,
) -> Any:
    """The bot processes for one run, started; killed if the run fails."""
    async with contextlib.AsyncExitStack() as stack:
        if not topology.postgres:
            specs = [
                BotSpec(
                    kind,
                    emu.base_url,
                    emu.token,
                    workdir,
                    profile_path,
                    experiments,
                    env,
                    watch_loop=watch_loop,
                )
            ]
        else:
            from bench.pg import fresh_database

            url = await stack.enter_async_context(fresh_database())
            ports = _free_ports(topology.instances)
            emu.webhook_balancer = [f"http://127.0.0.1:{port}" for port in ports]
            specs = []
            for i, port in enumerate(ports):
                instance_env = (
                    ("DATABASE_URL", url),
                    ("WEBHOOK_URL", f"http://127.0.0.1:{ports[0]}/telegram"),
                    ("WEBHOOK_LISTEN", f"127.0.0.1:{port}"),
                    ("WEBHOOK_SECRET", WEBHOOK_SECRET),
                    *env,
                )
                specs.append(
                    BotSpec(
                        kind,
                        emu.base_url,
                        emu.token,
                        workdir,
                        profile_path if i == 0 else None,
                        experiments,
                        instance_env,
                        watch_loop=watch_loop,
                    )
                )
        group = BotGroup(specs)
        try:
            await group.start()
            yield group
        except BaseException:
            group.kill()
            raise


REPLY_TIMEOUT = 180.0  # a bare bot at 200 people takes ~10 s a round; this only catches hangs


@dataclass(frozen=True, slots=True)
class Seen:
    """Something the bot did in a person's chat, as it looked at that moment."""

    t: float
    kind: str  # "new", "edit" or "answer" (answerCallbackQuery attempted)
    message_id: int
    text: str
    data: tuple[str, ...]  # callback data of the inline buttons
    query_id: str = ""


class BenchEmulator(Emulator):
    """The sandbox emulator plus per-chat logs of what the bot did, for cheap waiting."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: dict[int, list[Seen]] = {}
        self._bells: dict[int, asyncio.Event] = {}
        self.late_answers = 0

    def watch(self, chat_id: int) -> tuple[list[Seen], asyncio.Event]:
        log = self.seen.setdefault(chat_id, [])
        bell = self._bells.setdefault(chat_id, asyncio.Event())
        return log, bell

    def _push(self, chat_id: int, seen: Seen) -> None:
        log, bell = self.watch(chat_id)
        log.append(seen)
        bell.set()

    def _event(self, kind: str, msg: Message) -> None:
        super()._event(kind, msg)
        if kind == "delete":
            return
        markup = msg.reply_markup or {}
        data = tuple(
            b.get("callback_data") or "" for row in markup.get("inline_keyboard", []) for b in row
        )
        text = msg.text if msg.text is not None else (msg.caption or "")
        self._push(msg.chat_id, Seen(time.monotonic(), kind, msg.message_id, text, data))

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        # Record the attempt before validation: a bare bot under load answers after
        # Telegram's ~15 s window, and that late answer is still its reply time.
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is not None:
            if time.monotonic() - query.created > self.callback_timeout:
                self.late_answers += 1
            self._push(
                query.chat_id, Seen(time.monotonic(), "answer", query.message_id, "", (), query.id)
            )
        return await super()._m_answercallbackquery(params)

    def seed_menu(self, user_id: int) -> int:
        """A bot message with a button in this chat, so pre-queued presses have a target."""
        chat = self.chats[user_id]
        self.users[user_id].started = True
        msg = Message(
            chat_id=user_id,
            message_id=chat.take_message_id(),
            date=int(time.time()),
            from_id=self.bot.id,
            text="menu",
            reply_markup={"inline_keyboard": [[{"text": "menu", "callback_data": "m:"}]]},
        )
        chat.messages[msg.message_id] = msg
        return msg.message_id


# ------------------------------------------------------------------------------ the script


@dataclass(frozen=True)
class Plan:
    """One person's session: the same updates go to both bots."""

    lang: str
    topic: str
    items: tuple[str, str]
    query: str
    category: str


def make_plans(n: int, seed: int = 7) -> list[Plan]:
    """Sessions for n people: languages round-robin, topics and items from the real pack."""
    from bot.bundle import load_bundle

    pack = load_bundle(ROOT / "content").pack
    topics: list[tuple[str, list[str]]] = []
    for entry in pack.topics_for(None):
        if entry.id in {"emergency", "eligibility", "about"}:
            continue
        items = [item.id for item in pack.items_in(entry.id, None)]
        if len(items) >= 2:
            topics.append((entry.id, items))
    categories = list(pack.categories)
    rng = random.Random(seed)
    plans = []
    for i in range(n):
        lang = LANGUAGES[i % len(LANGUAGES)]
        topic, items = topics[i % len(topics)]
        first, second = rng.sample(items, 2)
        plans.append(
            Plan(
                lang, topic, (first, second), rng.choice(QUERIES[lang]), str(rng.choice(categories))
            )
        )
    return plans


def _has(prefix: str) -> Callable[[Seen], bool]:
    return lambda s: s.kind != "answer" and any(d.startswith(prefix) for d in s.data)


@dataclass
class Sample:
    step: str
    seconds: float


@dataclass
class PersonResult:
    samples: list[Sample] = field(default_factory=list)
    in_order: bool = True
    failure: str | None = None
    updates: int = 0
    first_t: float = 0.0
    last_t: float = 0.0


# What a hostile or careless person sends: each is one update the bot must answer quickly.
HOSTILE_TEXTS = (
    "q" * 4096,
    "ж" * 4096,
    "😀" * 2048,  # 4096 UTF-16 units
    " ".join(["ab"] * 1365),
    "".join("aжع\u200f"[i % 4] for i in range(4096)),
    "<b>" * 1000,
)


class Person:
    """Acts through the emulator and waits for the reply it expects, in order."""

    def __init__(self, emu: BenchEmulator, user_id: int, full: bool) -> None:
        self.emu = emu
        self.uid = user_id
        self.full = full
        self.log, self.bell = emu.watch(user_id)
        self.used: set[int] = set()
        self.last_index = -1
        self.result = PersonResult()
        self.target = 0  # message id the next press goes to

    def send(self, text: str) -> float:
        t = time.monotonic()
        self.emu.person_message(self.uid, self.uid, text=text)
        self.result.updates += 1
        return t

    def press(self, data: str) -> tuple[float, str]:
        t = time.monotonic()
        qid = self.emu.person_press(self.uid, self.uid, self.target, data)
        self.result.updates += 1
        return t, qid

    async def wait(self, match: Callable[[Seen], bool], sent_at: float, step: str) -> Seen:
        deadline = sent_at + REPLY_TIMEOUT
        while True:
            for i, seen in enumerate(self.log):
                if i in self.used or seen.t < sent_at or not match(seen):
                    continue
                self.used.add(i)
                if i < self.last_index:
                    self.result.in_order = False  # a later action's reply came first
                self.last_index = max(self.last_index, i)
                self.result.samples.append(Sample(step, seen.t - sent_at))
                self.result.last_t = max(self.result.last_t, seen.t)
                return seen
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {step} within {REPLY_TIMEOUT:.0f} s")
            self.bell.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.bell.wait(), remaining)

    def _text_reply(self, text: str) -> Callable[[Seen], bool]:
        if self.full:
            return lambda s: s.kind == "new"
        return lambda s: s.kind == "new" and s.text == text

    async def text(
        self, text: str, step: str, full_match: Callable[[Seen], bool] | None = None
    ) -> Seen:
        sent = self.send(text)
        match = full_match if (self.full and full_match) else self._text_reply(text)
        seen = await self.wait(match, sent, step)
        if self.full or not self.target:
            self.target = seen.message_id
        return seen

    async def tap(self, data: str, step: str, full_match: Callable[[Seen], bool]) -> Seen:
        sent, qid = self.press(data)
        seen = await self.wait(self._press_match(qid, full_match), sent, step)
        if self.full:
            self.target = seen.message_id
        return seen

    def _press_match(self, qid: str, full_match: Callable[[Seen], bool]) -> Callable[[Seen], bool]:
        if self.full:
            return full_match
        return lambda s: s.kind == "answer" and s.query_id == qid

    async def hostile_session(self, think: float) -> PersonResult:
        """/start, then every hostile text in turn, waiting for each answer."""
        self.result.first_t = time.monotonic()
        try:
            await self.text("/start", "start", _has("l:"))
            for n, text in enumerate(HOSTILE_TEXTS):
                if think > 0:
                    await asyncio.sleep(think)
                await self.text(text, f"hostile {n}")
        except TimeoutError as exc:
            self.result.failure = str(exc)
        return self.result

    async def session(self, plan: Plan, think: float, rng: random.Random) -> PersonResult:
        """start → language → skip audience → topic → two answers (double tap) → search →
        request."""
        self.result.first_t = time.monotonic()

        async def pause() -> None:
            if think > 0:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

        try:
            await self.text("/start", "start", _has("l:"))
            await pause()
            await self.tap(f"l:{plan.lang}:s", "language", _has("a:-"))
            await pause()
            await self.tap("a:-", "audience", _has("e:"))
            await pause()
            await self.tap(f"m:{plan.topic}", "topic", _has(f"f:{plan.items[0]}"))
            await pause()
            # Two answers opened with a double tap: both presses are in flight at once, so
            # the per-chat order of replies is really exercised.
            a, b = plan.items
            sent_a, qid_a = self.press(f"f:{a}")
            sent_b, qid_b = self.press(f"f:{b}")
            await self.wait(self._press_match(qid_a, _has(f"r:new:{a}")), sent_a, "answer")
            seen = await self.wait(self._press_match(qid_b, _has(f"r:new:{b}")), sent_b, "answer")
            if self.full:
                self.target = seen.message_id
            await pause()
            await self.text(plan.query, "search")
            await pause()
            await self.tap("r:new", "request", _has("i:cat:"))
            await pause()
            await self.tap(f"i:cat:{plan.category}", "intake", _has("i:x"))
        except TimeoutError as exc:
            self.result.failure = str(exc)
        return self.result


# ------------------------------------------------------------------------------ benchmark 1


@dataclass
class ReplyRun:
    """One bot's figures under the scripted load."""

    kind: str
    people: int
    latencies: list[float]
    by_step: dict[str, list[float]]
    updates: int
    wall: float
    in_order: int
    failures: list[str]
    late_answers: int
    bot: BotStats
    driver_cpu: float
    api_calls: dict[str, int] = field(default_factory=dict)  # by method, getUpdates left out
    refused: int = 0  # 429s the emulator's flood control answered during the run

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall > 0 else 0.0

    @property
    def busy(self) -> float:
        """Share of one core the bot process used during the run."""
        return self.bot.cpu_seconds / self.bot.wall_seconds if self.bot.wall_seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


async def _start_emulator(latency: float) -> BenchEmulator:
    # Telegram-like flood control on: replies to a person who just wrote pass, what a bot
    # starts is capped; every 429 it answers is counted (BenchEmulator.rate_limited).
    emu = BenchEmulator(latency=latency, rate_limits=True)
    await emu.start()
    return emu


async def reply_run(
    kind: str,
    people: int,
    latency: float,
    think: float,
    *,
    profile_path: str | None = None,
    warmup: int = 5,
    experiments: tuple[str, ...] = (),
    env: tuple[tuple[str, str], ...] = (),
    attackers: int = 0,
    topology: Topology = SHIPPED,
) -> ReplyRun:
    """N people run the session at once against one bot; every reply time is kept."""
    emu = await _start_emulator(latency)
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        try:
            async with _bots(
                kind,
                emu,
                workdir,
                topology,
                profile_path=profile_path,
                experiments=experiments,
                env=env,
                watch_loop=attackers > 0,
            ) as proc:
                full = kind == "full"
                plans = make_plans(people + warmup)
                # Warm-up: open HTTP connections and fill caches so the run measures steady work.
                warm = [
                    Person(emu, emu.add_user(f"W{i}", language_code=p.lang).user_id, full)
                    for i, p in enumerate(plans[:warmup])
                ]
                await asyncio.gather(
                    *(
                        w.session(p, 0, random.Random(i))
                        for i, (w, p) in enumerate(zip(warm, plans, strict=False))
                    )
                )
                crowd = [
                    Person(emu, emu.add_user(f"P{i}", language_code=p.lang).user_id, full)
                    for i, p in enumerate(plans[warmup:])
                ]
                hostile = [
                    Person(emu, emu.add_user(f"X{i}", language_code="en").user_id, full)
                    for i in range(attackers)
                ]
                late0, cpu0, t0 = emu.late_answers, cpu_seconds(), time.monotonic()
                calls0, refused0 = dict(emu.calls), emu.rate_limited
                results = await asyncio.gather(
                    *(
                        c.session(p, think, random.Random(i))
                        for i, (c, p) in enumerate(zip(crowd, plans[warmup:], strict=True))
                    ),
                    *(h.hostile_session(think) for h in hostile),
                )
                wall = max((r.last_t for r in results), default=t0) - t0
                driver_cpu = cpu_seconds() - cpu0
                calls = {m: n - calls0.get(m, 0) for m, n in emu.calls.items() if m != "getUpdates"}
                refused = emu.rate_limited - refused0
                stats = await proc.stop()
        finally:
            await emu.stop()
    latencies = [s.seconds for r in results for s in r.samples]
    by_step: dict[str, list[float]] = {}
    for r in results:
        for s in r.samples:
            by_step.setdefault(s.step, []).append(s.seconds)
    return ReplyRun(
        kind=kind,
        people=people,
        latencies=latencies,
        by_step=by_step,
        updates=sum(r.updates for r in results),
        wall=wall,
        in_order=sum(1 for r in results if r.in_order and r.failure is None),
        failures=[r.failure for r in results if r.failure],
        late_answers=emu.late_answers - late0,
        bot=stats,
        driver_cpu=driver_cpu,
        api_calls={m: n for m, n in calls.items() if n},
        refused=refused,
    )


# ------------------------------------------------------------------------------ benchmark 2


@dataclass
class FirehoseRun:
    """One bot draining the same pre-queued updates at zero API latency."""

    kind: str
    updates: int
    replies: int
    wall: float
    bot: BotStats
    emulator_cpu: float
    api_calls: int = 0  # Bot API calls other than getUpdates
    server_cpu: float = float("nan")  # PostgreSQL's CPU seconds (PostgreSQL rows only)

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_per_update(self) -> float:
        return self.bot.cpu_seconds / self.updates if self.updates else float("nan")


def _firehose_updates(emu: BenchEmulator, people: int) -> list[Callable[[], None]]:
    """Eight updates per person (texts and presses), interleaved across people."""
    plans = make_plans(people, seed=11)
    per_person: list[list[Callable[[], None]]] = []
    for i, plan in enumerate(plans):
        uid = emu.add_user(f"F{i}", language_code=plan.lang).user_id
        menu = emu.seed_menu(uid)

        def text(t: str, uid: int = uid) -> Callable[[], None]:
            def act() -> None:
                emu.person_message(uid, uid, text=t)

            return act

        def press(d: str, uid: int = uid, menu: int = menu) -> Callable[[], None]:
            def act() -> None:
                emu.person_press(uid, uid, menu, d)

            return act

        a, b = plan.items
        per_person.append([
            text("/start"), press(f"l:{plan.lang}:s"), press("a:-"), press(f"m:{plan.topic}"),
            press(f"f:{a}"), text(plan.query), press(f"f:{b}"), press("m:"),
        ])  # fmt: skip
    # Round-robin, as real traffic from many people arrives interleaved.
    return [steps[k] for k in range(8) for steps in per_person]


async def firehose_run(
    kind: str,
    people: int,
    profile_path: str | None = None,
    experiments: tuple[str, ...] = (),
    topology: Topology = SHIPPED,
) -> FirehoseRun:
    """Queue everything at once in the emulator; time until the bot has replied to all of it."""
    emu = await _start_emulator(0.0)
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        try:
            async with _bots(
                kind, emu, workdir, topology, profile_path=profile_path, experiments=experiments
            ) as proc:
                actions = _firehose_updates(emu, people)
                # Every update gets exactly one reply we can count: the full bot sends or edits a
                # message for each; the echo bot echoes texts and answers presses.
                counted = ("new", "edit") if kind == "full" else ("new", "edit", "answer")
                expected = len(actions)
                calls0 = sum(n for m, n in emu.calls.items() if m != "getUpdates")
                server0 = pg.server_cpu_seconds() if topology.postgres else float("nan")
                cpu0, t0 = cpu_seconds(), time.monotonic()
                for act in actions:
                    act()
                deadline = t0 + 600
                replies = 0
                while time.monotonic() < deadline:
                    replies = sum(1 for log in emu.seen.values() for s in log if s.kind in counted)
                    if replies >= expected:
                        break
                    await emu.wait_change(0.2)
                last = max((s.t for log in emu.seen.values() for s in log), default=t0)
                emulator_cpu = cpu_seconds() - cpu0
                server_cpu = (
                    pg.server_cpu_seconds() - server0 if topology.postgres else float("nan")
                )
                calls = sum(n for m, n in emu.calls.items() if m != "getUpdates") - calls0
                stats = await proc.stop()
        finally:
            await emu.stop()
    return FirehoseRun(kind, expected, replies, last - t0, stats, emulator_cpu, calls, server_cpu)
