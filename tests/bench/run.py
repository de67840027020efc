"""Benchmarks: `make bench` → docs/benchmarks.md.

Starts the real Rasa server, action server (SQLite sample knowledge base) and app as
separate processes, plays distinct Telegram users through the Bot API double at fixed
rates, and measures the time from an update being available to the bot (`getUpdates`)
to the bot's first reply request reaching the double. The same messages are then sent
straight to Rasa's REST channel, so the front-end's overhead shows as a ratio. Peak
resident memory of each process is sampled throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

from tests.bench import analytics, handoff, privacy, security, shared_state, workspace
from tests.support import processes
from tests.support.telegram_double import TOKEN, BotApiDouble, TelegramUser

ROOT = processes.ROOT
MESSAGES = [
    ("it", "cerco lavoro a Bologna"),
    ("en", "I need a room to rent in Milan"),
    ("ar", "أبحث عن عمل في روما"),
    ("uk", "шукаю житло в Генуї"),
    ("zh", "我在博洛尼亚找工作"),
    ("fr", "où apprendre l'italien à Turin"),
    ("es", "necesito renovar el permesso en Roma"),
    ("bn", "আমি নাপোলিতে কাজ খুঁজছি"),
    ("ur", "مجھے میلان میں کام چاہیے"),
    ("ru", "где квестура в Риме"),
]
FIXED_RATES = (1, 10, 30)
SEARCH_RATES = (5, 10, 15, 20, 30, 40, 60, 80)
P95_TARGET_MS = 300.0


@dataclass
class Series:
    rate: float
    latencies_ms: list[float]
    sent: int
    missing: int

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


@dataclass
class MemorySampler:
    processes: dict[str, psutil.Process]
    peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _rss(self, process: psutil.Process) -> int:
        try:
            return process.memory_info().rss + sum(
                child.memory_info().rss for child in process.children(recursive=True)
            )
        except psutil.Error:
            return 0

    def run(self) -> None:
        while not self._stop.is_set():
            for name, process in self.processes.items():
                self.peaks[name] = max(self.peaks.get(name, 0), self._rss(process))
            time.sleep(0.2)

    def start(self) -> None:
        threading.Thread(target=self.run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


async def paced(rate: float, duration: float, send: Callable[[int], Awaitable[None]]) -> int:
    """Call `send(i)` `rate` times a second for `duration` seconds, without waiting on it."""
    count = max(1, int(rate * duration))
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return count


async def bot_series(
    double: BotApiDouble, users: itertools.count, rate: float, duration: float
) -> Series:
    latencies: list[float] = []
    missing = 0

    async def one(i: int) -> None:
        nonlocal missing
        language, text = MESSAGES[i % len(MESSAGES)]
        user = TelegramUser(id=next(users), language_code=language)
        update_id = double.send_text(user, text)
        try:
            (first, *_rest) = await double.replies(user.id, 0, timeout=30)
        except AssertionError:
            missing += 1
            return
        latencies.append((first.received_at - double.update_times[update_id]) * 1000)

    sent = await paced(rate, duration, one)
    return Series(rate, latencies, sent, missing)


async def rasa_series(
    rasa_url: str, token: str, senders: itertools.count, rate: float, duration: float
) -> Series:
    latencies: list[float] = []
    missing = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(i: int) -> None:
            nonlocal missing
            language, text = MESSAGES[i % len(MESSAGES)]
            body = {
                "sender": f"bench-{next(senders)}",
                "message": text,
                "metadata": {"language": language},
            }
            start = time.perf_counter()
            async with session.post(
                f"{rasa_url}/webhooks/assistant/webhook", json=body
            ) as response:
                await response.read()
                if response.status != 200:
                    missing += 1
                    return
            latencies.append((time.perf_counter() - start) * 1000)

        sent = await paced(rate, duration, one)
    return Series(rate, latencies, sent, missing)


async def highest_sustained(
    run: Callable[[float], Awaitable[Series]],
) -> tuple[float, list[Series]]:
    best, tried = 0.0, []
    for rate in SEARCH_RATES:
        series = await run(rate)
        tried.append(series)
        if series.missing or series.pct(95) >= P95_TARGET_MS:
            break
        best = rate
    return best, tried


def start_app(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.main"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def wait_until_polling(double: BotApiDouble, app: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if app.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        if any(call.method == "setMyCommands" for call in double.calls):
            await asyncio.sleep(1.0)
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the app did not start")


Section = Callable[[processes.RasaServer, str, Path], Awaitable[str]]


def sections() -> dict[str, Section]:
    """The report's sections after the latency one, by name (`--only NAME` runs one alone)."""

    async def handoff_section(rasa: processes.RasaServer, _: str, workdir: Path) -> str:
        return await handoff.run(rasa, workdir)

    async def privacy_section(_: processes.RasaServer, __: str, workdir: Path) -> str:
        return await privacy.run(workdir)

    async def analytics_section(_: processes.RasaServer, __: str, workdir: Path) -> str:
        return await analytics.run(workdir)  # no Rasa: a year of facts in its own databases

    return {
        "handoff": handoff_section,
        "workspace": workspace.run,
        "security": security.run,
        "privacy": privacy_section,
        "shared_state": shared_state.run,
        "analytics": analytics_section,
    }


LATENCY = "latency"
# starts its own topologies (embedded, production 1 and 2 of each): after the rest stopped
SCALING = "scaling"


async def main(output: Path, duration: float, only: list[str]) -> None:
    """Run every section (or only those named) and write them into the report: a section run
    alone replaces its own part of the existing report, between its markers."""
    chosen = only or [LATENCY, *sections(), SCALING]
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    written: dict[str, str] = {}
    with ExitStack() as stack:
        rasa = stack.enter_context(processes.rasa_server(workdir))
        stack.enter_context(
            processes.action_server(rasa.action_port, database_url, workdir / "actions.log")
        )
        if LATENCY in chosen:
            load = conditions()
            written[LATENCY] = stamped(
                await latency_section(rasa, database_url, workdir, duration), load
            )
        for name, section in sections().items():
            if name in chosen:
                load = conditions()
                written[name] = stamped(await section(rasa, database_url, workdir), load)
    if SCALING in chosen:
        from tests.bench import scaling  # it imports this module's helpers

        load = conditions()
        written[SCALING] = stamped(await scaling.run(), load)
    report = splice(output.read_text(encoding="utf-8") if output.exists() else "", written)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)


def conditions() -> str:
    """When and on what a section was measured: other work on the machine skews latency."""
    one_minute = os.getloadavg()[0]
    return (
        f"_Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores; load average "
        f"when the section started: {one_minute:.1f}._"
    )


def stamped(section: str, load: str) -> str:
    """The section with its conditions under its heading."""
    heading, _, rest = section.strip().partition("\n")
    return f"{heading}\n\n{load}\n{rest}"


def splice(report: str, written: dict[str, str]) -> str:
    """The report with each written section in place of its earlier version (or appended)."""
    for name, text in written.items():
        block = f"<!-- bench:{name} -->\n{text.strip()}\n<!-- /bench:{name} -->"
        pattern = re.compile(
            rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
        )
        found = pattern.search(report)
        if found:
            report = report[: found.start()] + block + report[found.end() :]
        elif name == LATENCY:
            report = block + "\n\n" + report.strip()
        else:
            report = report.rstrip() + "\n\n" + block
    return report.strip() + "\n"


async def latency_section(
    rasa: processes.RasaServer, database_url: str, workdir: Path, duration: float
) -> str:
    double = BotApiDouble()
    await double.start()
    app_log = workdir / "app.log"
    app = start_app(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": double.base_url,
            "DATABASE_URL": database_url,
            "RASA_URL": rasa.url,
            "RASA_AUTH_TOKEN": rasa.token,
            "LOG_LEVEL": "WARNING",
            "WEB_PORT": str(processes.free_port()),
            "PSEUDONYM_KEY": "bench-pseudonym-key-0123",
        },
        app_log,
    )
    try:
        await wait_until_polling(double, app, app_log)
        sampler = MemorySampler(_service_processes(rasa, app))
        sampler.start()
        users, senders = itertools.count(5_000_000), itertools.count()
        await bot_series(double, users, 5, 4)  # warm-up (model, connection pools, caches)
        await rasa_series(rasa.url, rasa.token, senders, 5, 4)
        bot_fixed = [await bot_series(double, users, rate, duration) for rate in FIXED_RATES]
        rasa_fixed = [
            await rasa_series(rasa.url, rasa.token, senders, rate, duration) for rate in FIXED_RATES
        ]
        bot_best, bot_tried = await highest_sustained(
            lambda r: bot_series(double, users, r, duration)
        )
        rasa_best, rasa_tried = await highest_sustained(
            lambda r: rasa_series(rasa.url, rasa.token, senders, r, duration)
        )
        sampler.stop()
    finally:
        app.terminate()
        await double.stop()
    return render_report(
        bot_fixed, rasa_fixed, bot_best, bot_tried, rasa_best, rasa_tried, sampler.peaks, duration
    )


def _service_processes(
    rasa: processes.RasaServer, app: subprocess.Popen[bytes]
) -> dict[str, psutil.Process]:
    """The three services, found by the ports on their command lines."""
    rasa_port = rasa.url.rsplit(":", 1)[1]
    found = {"app (python -m bot.main)": psutil.Process(app.pid)}
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "--enable-api" in cmdline and rasa_port in cmdline:
            found["Rasa server"] = process
        elif "actions.server" in cmdline and str(rasa.action_port) in cmdline:
            found["action server"] = process
    return found


def _seconds(name: str) -> str:
    path = ROOT / "var" / name
    if not path.exists():
        return "not measured yet (run `make setup` / `make train`)"
    seconds = int(path.read_text().strip())
    return f"{seconds // 60} min {seconds % 60} s"


def render_report(
    bot_fixed: list[Series],
    rasa_fixed: list[Series],
    bot_best: float,
    bot_tried: list[Series],
    rasa_best: float,
    rasa_tried: list[Series],
    peaks: dict[str, int],
    duration: float,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`tests/bench/run.py`) on {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}. Each rate runs {duration:.0f} s; every update comes from "
        "a distinct new user. *Bot*: from the update being available in the Bot API double "
        "(`getUpdates`, long polling) to the bot's first reply request reaching the double — "
        "through python-telegram-bot, the conversation core, Rasa, the action server, the "
        "SQLite knowledge base and the renderer. *Rasa REST*: the same messages posted "
        "straight to Rasa's REST channel (NLU + dialogue + actions, no front-end).",
        "",
        "## Latency at fixed rates (ms)",
        "",
        "| rate (updates/s) | bot p50 | bot p95 | bot p99 "
        "| Rasa REST p50 | Rasa REST p95 | Rasa REST p99 | ratio p50 | ratio p95 | lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for bot, rasa in zip(bot_fixed, rasa_fixed, strict=True):
        lines.append(
            f"| {bot.rate:g} | {bot.pct(50):.0f} | {bot.pct(95):.0f} | {bot.pct(99):.0f} "
            f"| {rasa.pct(50):.0f} | {rasa.pct(95):.0f} | {rasa.pct(99):.0f} "
            f"| {bot.pct(50) / rasa.pct(50):.2f} | {bot.pct(95) / rasa.pct(95):.2f} "
            f"| {bot.missing + rasa.missing} |"
        )
    lines += [
        "",
        f"## Highest sustained rate with p95 under {P95_TARGET_MS:.0f} ms",
        "",
        f"- **Bot (end to end): {bot_best:g} updates/s**",
        f"- **Rasa REST alone: {rasa_best:g} requests/s**",
        "",
        "| rate | bot p95 | Rasa REST p95 |",
        "|---|---|---|",
    ]
    for rate in SEARCH_RATES:
        bot = next((s for s in bot_tried if s.rate == rate), None)
        rasa = next((s for s in rasa_tried if s.rate == rate), None)
        if bot or rasa:
            lines.append(
                f"| {rate:g} | {f'{bot.pct(95):.0f}' if bot else '—'} "
                f"| {f'{rasa.pct(95):.0f}' if rasa else '—'} |"
            )
    lines += [
        "",
        "## Peak resident memory (RSS, during the whole run)",
        "",
        "| process | peak RSS |",
        "|---|---|",
    ]
    for name, peak in sorted(peaks.items()):
        lines.append(f"| {name} | {peak / 2**20:.0f} MiB |")
    lines += [
        "",
        "## Build times on this machine",
        "",
        "- `make setup` (fresh clone: both environments, catalogs, database, training): "
        f"{_seconds('setup-seconds')}",
        f"- `make train`: {_seconds('train-seconds')}",
        "",
        "`make setup` and `make train` record their own duration in `var/`; this report copies "
        "the last measurement.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument(
        "--only",
        nargs="*",
        default=[],
        choices=[LATENCY, *sections(), SCALING],
        help="run only these sections and replace them in the existing report",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.output, arguments.duration, arguments.only))
