"""Scaling benchmarks (part of `make bench`; alone: `python -m tests.bench.scaling`).

Three profiles measured side by side in one run, every update posted to the app's webhook
as Telegram does (the time from the POST to the bot's first reply reaching the Bot API
double), with the same messages posted straight to the profile's Rasa servers as the
reference:
- embedded: one app process (no Redis), one Rasa server, one action server, SQLite;
- production with 1 of each kind, and with 2 of each: app workers with the Redis Streams
  intake, Rasa servers with the tracker in PostgreSQL and the lock store in Redis.

Then the click day on the production profile with 2 of each: 3,000 new people within 60 s,
each writing a greeting, waiting for the answer, then a question; every answer is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from redis.asyncio import Redis

from bot.core.rasa_routing import RasaRing
from bot.web.app import WEBHOOK_PATH
from tests.bench.run import (
    MESSAGES,
    P95_TARGET_MS,
    SEARCH_RATES,
    Series,
    paced,
    start_app,
)
from tests.support import processes
from tests.support.expect import plain, translated
from tests.support.production import (
    MESSAGE_IDS,
    RASA_TOKEN,
    REDIS_URL,
    UPDATE_IDS,
    WEBHOOK_SECRET,
    Production,
    production,
    wait_for_webhooks,
)
from tests.support.telegram_double import TOKEN, BotApiDouble, BotCall, TelegramUser

ROOT = processes.ROOT
SECTION_TITLE = "## Scaling out: embedded and production profiles"
CLICK_DAY_PEOPLE = 3000
CLICK_DAY_SECONDS = 60.0
CLICK_DAY_DEADLINE_SECONDS = 900.0
DRAIN_TIMEOUT_SECONDS = 300.0
GREETINGS = {
    "it": "ciao",
    "en": "hello",
    "ar": "مرحبا",
    "uk": "привіт",
    "zh": "你好",
    "fr": "bonjour",
    "es": "hola",
    "bn": "নমস্কার",
    "ur": "السلام علیکم",
    "ru": "привет",
}
TECHNICAL_PROBLEM = (
    "Sorry, I cannot answer right now because of a technical problem. "
    "Please try again in a few minutes."
)


Ready = Callable[[list[BotCall]], bool]


class IndexedDouble(BotApiDouble):
    """The double, with each chat's replies indexed and waitable (thousands of people)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.by_chat: dict[int, list[BotCall]] = defaultdict(list)
        self._waiters: dict[int, list[tuple[Ready, asyncio.Future[None]]]] = defaultdict(list)

    def _record(self, method: str, params: dict[str, Any]) -> None:
        chat = int(params["chat_id"])
        self.by_chat[chat].append(BotCall(method, params, time.perf_counter()))
        waiting = []
        for ready, future in self._waiters[chat]:
            if not future.done() and ready(self.by_chat[chat]):
                future.set_result(None)
            elif not future.done():
                waiting.append((ready, future))
        self._waiters[chat] = waiting

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._record("sendMessage", params)
        return await super()._api_sendMessage(params)

    async def _api_sendVenue(self, params: dict[str, Any]) -> dict[str, Any]:
        self._record("sendVenue", params)
        return await super()._api_sendVenue(params)

    async def wait_until(self, chat: int, ready: Ready, timeout: float) -> bool:
        if ready(self.by_chat[chat]):
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[chat].append((ready, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False

    async def wait_count(self, chat: int, count: int, timeout: float) -> bool:
        return await self.wait_until(chat, lambda calls: len(calls) >= count, timeout)


@dataclass
class Poster:
    """Telegram's side: posts updates to the workers' webhook (round robin)."""

    urls: list[str]
    session: aiohttp.ClientSession
    update_ids: Iterator[int] = UPDATE_IDS  # one bot's update ids never repeat
    message_ids: Iterator[int] = MESSAGE_IDS
    turn: Iterator[int] = field(default_factory=itertools.count)

    async def post(self, user: TelegramUser, text: str) -> bool:
        update = {
            "update_id": next(self.update_ids),
            "message": {
                "message_id": next(self.message_ids),
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private", "first_name": "B"},
                "from": user.as_json(),
                "text": text,
            },
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        for attempt in range(len(self.urls) * 20):
            url = self.urls[(next(self.turn) + attempt) % len(self.urls)]
            try:
                async with self.session.post(url, json=update, headers=headers) as response:
                    if response.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)
        return False


async def bot_series(
    double: IndexedDouble, poster: Poster, users: Iterator[int], rate: float, duration: float
) -> Series:
    latencies: list[float] = []
    missing = 0

    async def one(i: int) -> None:
        nonlocal missing
        language, text = MESSAGES[i % len(MESSAGES)]
        user = TelegramUser(id=next(users), language_code=language)
        start = time.perf_counter()
        if not await poster.post(user, text) or not await double.wait_count(user.id, 1, 30):
            missing += 1
            return
        latencies.append((double.by_chat[user.id][0].received_at - start) * 1000)

    sent = await paced(rate, duration, one)
    return Series(rate, latencies, sent, missing)


async def rasa_series(
    rasa_urls: list[str], senders: Iterator[int], rate: float, duration: float
) -> Series:
    """The same messages straight to the Rasa servers, each sender to its own server."""
    latencies: list[float] = []
    missing = 0
    ring = RasaRing(rasa_urls)
    headers = {"Authorization": f"Bearer {RASA_TOKEN}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:

        async def one(i: int) -> None:
            nonlocal missing
            language, text = MESSAGES[i % len(MESSAGES)]
            sender = f"bench-{next(senders)}"
            body = {"sender": sender, "message": text, "metadata": {"language": language}}
            url = ring.preference(sender)[0] + "/webhooks/assistant/webhook"
            start = time.perf_counter()
            try:
                async with session.post(url, json=body) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if not ok:
                missing += 1
                return
            latencies.append((time.perf_counter() - start) * 1000)

        sent = await paced(rate, duration, one)
    return Series(rate, latencies, sent, missing)


async def nothing_to_wait_for() -> None:
    return None


def intake_drained(prefix: str, partitions: int = 32) -> Callable[[], Awaitable[None]]:
    """Waits until every update accepted is handled (the streams are empty), so that one
    series' backlog does not slow down the next."""

    async def wait() -> None:
        redis = Redis.from_url(REDIS_URL)
        try:
            deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                lengths = [
                    await redis.xlen(f"{prefix}intake:stream:{p}") for p in range(partitions)
                ]
                if not any(lengths):
                    return
                await asyncio.sleep(0.5)
        finally:
            await redis.aclose()

    return wait


async def highest(
    run: Callable[[float], Awaitable[Series]],
    drained: Callable[[], Awaitable[None]] = nothing_to_wait_for,
) -> tuple[float, list[Series]]:
    best, tried = 0.0, []
    for rate in SEARCH_RATES:
        series = await run(rate)
        await drained()
        tried.append(series)
        if series.missing or series.pct(95) > P95_TARGET_MS:
            break
        best = rate
    return best, tried


@dataclass
class ProfileResult:
    name: str
    low: Series  # 1 update/s: the front end's own cost
    low_rasa: Series
    best: float
    best_rasa: float
    tried: list[Series]
    tried_rasa: list[Series]
    stages: dict[str, float] = field(default_factory=dict)  # mean ms per update, at 1/s


STAGES = {  # the app's own histograms (bot.metrics, the intake, the Rasa client)
    "assistant_intake_wait_seconds": "intake wait",
    "assistant_rasa_seconds": "call to Rasa",
    "assistant_render_seconds": "rendering",
    "assistant_send_seconds": "one send to Telegram",
}
METRIC_LINE = re.compile(r"^(assistant_\w+_seconds)_(sum|count)(?:\{[^}]*\})? (\S+)$", re.M)


async def scrape(session: aiohttp.ClientSession, webhook_urls: list[str]) -> dict[str, float]:
    """`<histogram>_sum` and `_count`, added up over the workers (from loopback: allowed)."""
    totals: dict[str, float] = defaultdict(float)
    for url in dict.fromkeys(url.split(WEBHOOK_PATH)[0] for url in webhook_urls):
        async with session.get(url + "/metrics") as response:
            for name, part, value in METRIC_LINE.findall(await response.text()):
                totals[f"{name}_{part}"] += float(value)
    return totals


def stage_means(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    means = {}
    for metric, label in STAGES.items():
        count = after.get(f"{metric}_count", 0) - before.get(f"{metric}_count", 0)
        total = after.get(f"{metric}_sum", 0) - before.get(f"{metric}_sum", 0)
        if count:
            means[label] = total / count * 1000
    return means


async def measure_profile(
    name: str,
    double: IndexedDouble,
    webhook_urls: list[str],
    rasa_urls: list[str],
    duration: float,
    users: Iterator[int],
    senders: Iterator[int],
    drained: Callable[[], Awaitable[None]] = nothing_to_wait_for,
) -> ProfileResult:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        poster = Poster(webhook_urls, session)
        await bot_series(double, poster, users, 5, 4)  # warm-up
        await rasa_series(rasa_urls, senders, 5, 4)
        await drained()
        before = await scrape(session, webhook_urls)
        low = await bot_series(double, poster, users, 1, duration)
        stages = stage_means(before, await scrape(session, webhook_urls))
        low_rasa = await rasa_series(rasa_urls, senders, 1, duration)
        best, tried = await highest(
            lambda r: bot_series(double, poster, users, r, duration), drained
        )
        best_rasa, tried_rasa = await highest(
            lambda r: rasa_series(rasa_urls, senders, r, duration)
        )
    return ProfileResult(name, low, low_rasa, best, best_rasa, tried, tried_rasa, stages)


# --- the profiles ---------------------------------------------------------------------------


@contextmanager
def embedded(
    double: BotApiDouble, workdir: Path
) -> Iterator[tuple[list[str], list[str], dict[str, int]]]:
    """`make run`'s profile, in webhook mode: one process of each kind, SQLite, no Redis."""
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    with ExitStack() as stack:
        rasa = stack.enter_context(processes.rasa_server(workdir, token=RASA_TOKEN))
        stack.enter_context(
            processes.action_server(rasa.action_port, database_url, workdir / "actions.log")
        )
        port = processes.free_port()
        app = start_app(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": double.base_url,
                "TELEGRAM_WEBHOOK_URL": "https://assistant.example.org",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "DATABASE_URL": database_url,
                "RASA_URL": rasa.url,
                "RASA_AUTH_TOKEN": rasa.token,
                "LOG_LEVEL": "WARNING",
                "WEB_PORT": str(port),
                "PSEUDONYM_KEY": "bench-pseudonym-key-0123",
                "PERSON_MESSAGES_PER_MINUTE": "1000",
            },
            workdir / "app.log",
        )
        stack.callback(app.wait, 30)
        stack.callback(app.terminate)
        pids = {"app": app.pid, **_pids_by_port(rasa.url, rasa.action_port)}
        yield [f"http://127.0.0.1:{port}/telegram/webhook"], [rasa.url], pids


def _pids_by_port(rasa_url: str, action_port: int) -> dict[str, int]:
    rasa_port = rasa_url.rsplit(":", 1)[1]
    found = {}
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "--enable-api" in cmdline and rasa_port in cmdline:
            found["Rasa server"] = process.pid
        elif "actions.server" in cmdline and str(action_port) in cmdline:
            found["action server"] = process.pid
    return found


def production_pids(prod: Production) -> dict[str, int]:
    kinds = {"app": "app worker", "rasa": "Rasa server", "actions": "action server"}
    return {
        f"{kinds[s.name.split('-')[0]]} {s.name.split('-')[1]}": s.process.pid
        for s in prod.services
    }


def rss_mib(pids: dict[str, int]) -> dict[str, float]:
    sizes = {}
    for name, pid in pids.items():
        try:
            sizes[name] = psutil.Process(pid).memory_info().rss / 2**20
        except psutil.Error:
            sizes[name] = float("nan")
    return sizes


# --- the click day ------------------------------------------------------------------------


@dataclass
class ClickDay:
    people: int
    answered: int = 0
    lost: int = 0
    twice: int = 0
    technical: int = 0
    drain_seconds: float = 0.0
    waits_ms: list[float] = field(default_factory=list)
    peak_rss: dict[str, float] = field(default_factory=dict)
    twice_examples: list[str] = field(default_factory=list)  # for a look when twice > 0
    lost_examples: list[str] = field(default_factory=list)


Answers = dict[str, tuple[list[str], list[str]]]  # per language: greeting's, question's texts


def technical_problem(language: str) -> str:
    return translated(language, TECHNICAL_PROBLEM)


def texts_after(calls: list[BotCall], before: int) -> list[str]:
    return [plain(call.text) for call in calls[before:]]


async def click_day(
    double: IndexedDouble,
    webhook_urls: list[str],
    pids: dict[str, int],
    expected: Answers,
    people: int = CLICK_DAY_PEOPLE,
) -> ClickDay:
    """`expected`: per language, the texts that answer its greeting and its question."""
    result = ClickDay(people)
    users = [
        TelegramUser(id=20_000_000 + i, language_code=MESSAGES[i % len(MESSAGES)][0])
        for i in range(people)
    ]
    sampling = True

    async def sample_memory() -> None:
        while sampling:
            for name, size in rss_mib(pids).items():
                result.peak_rss[name] = max(result.peak_rss.get(name, 0.0), size)
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample_memory())
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        poster = Poster(webhook_urls, session)
        start = time.perf_counter()
        last_answer = start

        async def ask(user: TelegramUser, text: str, answer: list[str]) -> bool:
            """One message and its whole answer (or a 'technical problem')."""
            nonlocal last_answer
            language = user.language_code or "it"
            before = len(double.by_chat[user.id])

            def ready(calls: list[BotCall]) -> bool:
                got = texts_after(calls, before)
                return len(got) >= len(answer) or technical_problem(language) in got

            sent = time.perf_counter()
            if not await poster.post(user, text):
                return False
            if not await double.wait_until(user.id, ready, CLICK_DAY_DEADLINE_SECONDS):
                return False
            calls = double.by_chat[user.id]
            result.waits_ms.append((calls[before].received_at - sent) * 1000)
            last_answer = max(last_answer, calls[-1].received_at)
            return True

        async def person(index: int, user: TelegramUser) -> None:
            await asyncio.sleep(index * CLICK_DAY_SECONDS / people)
            language, question = MESSAGES[index % len(MESSAGES)]
            greeting_answer, question_answer = expected[language]
            if await ask(user, GREETINGS[language], greeting_answer):
                await ask(user, question, question_answer)

        await asyncio.gather(*(person(i, u) for i, u in enumerate(users)))
        result.drain_seconds = last_answer - start - CLICK_DAY_SECONDS
        # one more message from the first person: once answered, a repeat would have come
        await ask(users[0], MESSAGES[0][1], expected[MESSAGES[0][0]][1])
    sampling = False
    await sampler
    for index, user in enumerate(users):
        language = user.language_code or "it"
        greeting_answer, question_answer = expected[language]
        wanted = Counter(greeting_answer + question_answer * (2 if index == 0 else 1))
        got = Counter(texts_after(double.by_chat[user.id], 0))
        told = got[technical_problem(language)] > 0
        result.technical += told
        if not wanted - got:
            result.answered += 1
        elif not told:
            result.lost += 1
            if len(result.lost_examples) < 3:
                missing = next(iter((wanted - got).elements()))
                result.lost_examples.append(f"{language}: {missing[:60]!r} missing")
        repeated = [text for text, count in wanted.items() if got[text] > count]
        result.twice += bool(repeated)
        if repeated and len(result.twice_examples) < 5:
            result.twice_examples.append(f"{language}: {repeated[0][:60]!r} x{got[repeated[0]]}")
    return result


async def calibrate(double: IndexedDouble, webhook_urls: list[str]) -> Answers:
    """Per language: the texts that answer its greeting and then its question (one person
    each, before the click day; not a test, so it lets every card arrive)."""
    answers: Answers = {}
    async with aiohttp.ClientSession() as session:
        poster = Poster(webhook_urls, session)

        async def one(index: int, language: str, question: str) -> None:
            user = TelegramUser(id=19_000_000 + index, language_code=language)
            found = []
            for text in (GREETINGS[language], question):
                before = len(double.by_chat[user.id])
                await poster.post(user, text)
                await double.wait_count(user.id, before + 1, 120)
                await asyncio.sleep(5.0)
                found.append(texts_after(double.by_chat[user.id], before))
            answers[language] = (found[0], found[1])

        await asyncio.gather(*(one(i, lang, q) for i, (lang, q) in enumerate(MESSAGES)))
    return answers


# --- the run ------------------------------------------------------------------------------


async def run(duration: float = 10.0, people: int = CLICK_DAY_PEOPLE) -> str:
    """The section as Markdown; `people` 0 skips the click day."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    users, senders = itertools.count(30_000_000), itertools.count()
    results: list[ProfileResult] = []
    memory: dict[str, dict[str, float]] = {}
    day: ClickDay | None = None
    double = IndexedDouble()
    await double.start()
    try:
        with embedded(double, workdir / "embedded") as (hooks, rasa_urls, pids):
            await wait_for_webhooks(double, 1)
            results.append(
                await measure_profile(
                    "embedded", double, hooks, rasa_urls, duration, users, senders
                )
            )
            memory["embedded"] = rss_mib(pids)
        for counts in ((1, 1, 1), (2, 2, 2)):
            label = f"production, {counts[0]} of each"
            webhooks_before = len([c for c in double.calls if c.method == "setWebhook"])
            with ExitStack() as stack:
                prod = await asyncio.to_thread(
                    stack.enter_context,
                    production(double, workdir / label.replace(" ", "-"), counts),
                )
                try:
                    await wait_for_webhooks(double, webhooks_before + counts[0])
                    hooks = prod.worker_urls()
                    drained = intake_drained(prod.topology.redis_key_prefix)
                    results.append(
                        await measure_profile(
                            label,
                            double,
                            hooks,
                            prod.topology.rasa_urls,
                            duration,
                            users,
                            senders,
                            drained,
                        )
                    )
                    await drained()
                    pids = production_pids(prod)
                    memory[label] = rss_mib(pids)
                    if people and counts == (2, 2, 2):
                        expected = await calibrate(double, hooks)
                        day = await click_day(double, hooks, pids, expected, people)
                finally:
                    await asyncio.to_thread(stack.close)
    finally:
        await double.stop()
    return render(results, memory, day, duration, os.getloadavg()[1])


def render(
    results: list[ProfileResult],
    memory: dict[str, dict[str, float]],
    day: ClickDay | None,
    duration: float,
    load: float,
) -> str:
    lines = [
        SECTION_TITLE,
        "",
        f"Written by `make bench` (`tests/bench/scaling.py`, alone: `python -m "
        f"tests.bench.scaling`) on {psutil.cpu_count()} cores, {time.strftime('%Y-%m-%d')}. "
        "Each update is posted to the app's webhook as Telegram does; *bot* is the time from "
        "the POST to the first reply reaching the Bot API double; *Rasa alone* posts the same "
        "messages straight to the same profile's Rasa servers (each sender to its own server). "
        f"Each rate runs {duration:.0f} s with distinct new people; everything (load generator "
        "and Bot API double included) shares the same 2 cores, with whatever else the machine "
        f"runs: its load average over the last 5 minutes of this run was {load:.1f}.",
        "",
        "### Latency at 1 update/s (ms)",
        "",
        "| profile | bot p50 | bot p95 | bot p99 | Rasa alone p50 | Rasa alone p95 "
        "| front end adds (p50) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        added = r.low.pct(50) / r.low_rasa.pct(50) - 1
        lines.append(
            f"| {r.name} | {r.low.pct(50):.0f} | {r.low.pct(95):.0f} | {r.low.pct(99):.0f} "
            f"| {r.low_rasa.pct(50):.0f} | {r.low_rasa.pct(95):.0f} | {added:+.0%} |"
        )
    lines += [
        "",
        f"### Highest sustained rate with p95 ≤ {P95_TARGET_MS:.0f} ms (updates/s)",
        "",
        "| profile | bot | its Rasa servers alone | ratio | bot p95 at each rate tried "
        "| Rasa p95 at each rate tried |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r.best / r.best_rasa if r.best_rasa else float("nan")
        tried = ", ".join(f"{s.rate:g}: {s.pct(95):.0f}" for s in r.tried)
        tried_rasa = ", ".join(f"{s.rate:g}: {s.pct(95):.0f}" for s in r.tried_rasa)
        lines.append(
            f"| {r.name} | {r.best:g} | {r.best_rasa:g} | {ratio:.2f} | {tried} | {tried_rasa} |"
        )
    lines += [
        "",
        "### Where the time goes at 1 update/s (mean ms per update, the app's own metrics)",
        "",
        "| profile | bot p50 − Rasa alone p50 | " + " | ".join(STAGES.values()) + " |",
        "|---|---|" + "---|" * len(STAGES),
    ]
    for r in results:
        cells = " | ".join(
            f"{r.stages[label]:.1f}" if label in r.stages else "–" for label in STAGES.values()
        )
        lines.append(f"| {r.name} | {r.low.pct(50) - r.low_rasa.pct(50):.0f} | {cells} |")
    lines += ["", "### Memory per process (RSS after the rate runs, MiB)", ""]
    for profile, sizes in memory.items():
        listed = ", ".join(f"{name} {size:.0f}" for name, size in sorted(sizes.items()))
        lines.append(f"- {profile}: {listed}")
    if day is not None:
        waits = Series(0, day.waits_ms, 0, 0)
        lines += [
            "",
            f"### Click day: {day.people:,} new people within {CLICK_DAY_SECONDS:.0f} s "
            "(production, 2 of each)",
            "",
            "Each person writes a greeting, waits for the answer, then asks a question.",
            "",
            "| answered (both messages) | lost | answered twice | told 'technical problem' "
            "| queue drained after the last arrival | wait p50 | wait p95 | wait max |",
            "|---|---|---|---|---|---|---|---|",
            f"| {day.answered:,} / {day.people:,} | {day.lost} | {day.twice} | {day.technical} "
            f"| {day.drain_seconds:.0f} s | {waits.pct(50) / 1000:.1f} s "
            f"| {waits.pct(95) / 1000:.1f} s | {max(day.waits_ms or [0]) / 1000:.1f} s |",
            "",
            "Peak RSS during the click day (MiB): "
            + ", ".join(f"{name} {size:.0f}" for name, size in sorted(day.peak_rss.items())),
        ]
        if day.lost_examples:
            lines += [
                "",
                "Expected texts that never came (first examples): " + "; ".join(day.lost_examples),
            ]
        if day.twice_examples:
            lines += [
                "",
                "Answers that came more than once (first examples): "
                + "; ".join(day.twice_examples),
            ]
    return "\n".join(lines) + "\n"


def replace_section(document: str, section: str) -> str:
    """The scaling section replaced (or appended) in docs/benchmarks.md."""
    start = document.find(SECTION_TITLE)
    if start < 0:
        return document.rstrip() + "\n\n" + section
    end = document.find("\n## ", start + len(SECTION_TITLE))
    rest = document[end + 1 :] if end >= 0 else ""
    return document[:start] + section + ("\n" + rest if rest else "")


async def main(output: Path, duration: float, people: int) -> None:
    section = await run(duration, people)
    print(section)
    document = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.write_text(replace_section(document, section), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--people", type=int, default=CLICK_DAY_PEOPLE, help="0: no click day")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.output, arguments.duration, arguments.people))
