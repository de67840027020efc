"""The cost of issue 9's checks on the chat path, and how the sign-in limiter behaves.

1. Each check on its own, in this process (µs): reading a web-chat body into typed values
   (pydantic) against the plain `json.loads` it replaced; a sliding-window limit (flood gate
   per person, web chat per address); the security headers; the trusted-proxy middleware.
2. End to end, the web chat through the real Rasa and action server, with the checks and
   without them (limits that always allow, no security headers), requests interleaved so
   that both see the same load.
3. The sign-in limiter's delay curve, on a simulated clock.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.channels.webchat import read_body
from bot.limits import MemoryLimits, Streak
from bot.staff.sign_in_limits import SignInLimiter, delay_after
from bot.web import security
from bot.web.app import create_app
from tests.bench.handoff import pct
from tests.conftest import stack_settings
from tests.support import processes
from tests.support.telegram_double import BotApiDouble

MICRO_ROUNDS = 5000
CHAT_ROUNDS = 150
BODY = json.dumps({"text": "cerco lavoro a Bologna, sono arrivato da poco"}).encode()


class NoLimits:
    """Limits that always allow: the app as it was before the checks."""

    async def take(self, key: str, limit: int, window_seconds: float) -> float:
        return 0.0

    async def count(self, key: str, window_seconds: float) -> int:
        return 0

    async def add(self, key: str, window_seconds: float) -> None:
        return None

    async def streak(self, key: str) -> Streak:
        return Streak(0, 0.0)

    async def extend_streak(self, key: str, forget_after_seconds: float) -> Streak:
        return Streak(0, 0.0)

    async def end_streak(self, key: str) -> None:
        return None


async def micro(run: Callable[[int], Awaitable[object]], rounds: int = MICRO_ROUNDS) -> list[float]:
    times = []
    for i in range(rounds):
        started = time.perf_counter_ns()
        await run(i)
        times.append((time.perf_counter_ns() - started) / 1000)
    return times


async def each_check() -> dict[str, list[float]]:
    limits = MemoryLimits()
    proxy = security.forwarding_middleware(["127.0.0.1"])

    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response()

    request = make_mocked_request(
        "POST", "/api/chat", headers={"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}
    )

    async def plain_json(_: int) -> object:
        return json.loads(BODY)

    async def typed_body(_: int) -> object:
        return read_body(BODY)

    async def window(i: int) -> object:
        return await limits.take(f"person:{i % 500}", 30, 60)

    async def headers(_: int) -> object:
        return await security.add_security_headers(request, web.Response())

    async def forwarding(_: int) -> object:
        return await proxy(request, handler)

    return {
        "body read with `json.loads` (before)": await micro(plain_json),
        "body read into typed values (pydantic, after)": await micro(typed_body),
        "one sliding-window limit (flood gate or address)": await micro(window),
        "security headers on a response": await micro(headers),
        "trusted-proxy middleware": await micro(forwarding),
    }


async def chat_path(
    rasa: processes.RasaServer, database_url: str, workdir: Path
) -> dict[str, list[float]]:
    double = BotApiDouble()
    await double.start()
    settings = stack_settings(rasa, database_url, double, workdir).model_copy(
        update={"telegram_bot_token": None, "run_background_work": False}
    )
    with_checks = create_app(settings)
    without = create_app(settings, limits=NoLimits())
    without.on_response_prepare.remove(security.add_security_headers)
    try:
        async with serving({"with the checks": with_checks, "without": without}) as urls:
            return await alternating(urls)
    finally:
        await double.stop()


@asynccontextmanager
async def serving(apps: dict[str, web.Application]) -> AsyncIterator[dict[str, str]]:
    """Each app on a free loopback port: name → its web chat's URL."""
    runners, urls = [], {}
    try:
        for name, app in apps.items():
            port = processes.free_port()
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, "127.0.0.1", port).start()
            urls[name] = f"http://127.0.0.1:{port}/api/chat"
        yield urls
    finally:
        for runner in runners:
            await runner.cleanup()


async def alternating(apps: dict[str, str], rounds: int = CHAT_ROUNDS) -> dict[str, list[float]]:
    """The same web chat message posted to each app in turn (ms per answer, by app)."""
    times: dict[str, list[float]] = {name: [] for name in apps}
    async with aiohttp.ClientSession() as session:
        for i, name in zip(range(rounds * len(apps)), itertools.cycle(apps)):
            started = time.perf_counter()
            async with session.post(
                apps[name], data=BODY, headers={"Content-Type": "application/json"}
            ) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            if i >= len(apps) * 5:  # the first rounds warm caches and connections
                times[name].append((time.perf_counter() - started) * 1000)
    return times


async def delay_curve() -> list[tuple[int, float]]:
    """(attempt number, seconds it must wait) for one (username, address), never waiting."""
    clock = [0.0]
    limiter = SignInLimiter(MemoryLimits(lambda: clock[0]), free_attempts=5)
    curve = []
    for attempt in range(1, 15):
        wait = await limiter.wait_seconds("anna", "address")
        if wait == 0:
            await limiter.failed("anna", "address")
        curve.append((attempt, wait))
        clock[0] += 0.1
    return curve


async def run(rasa: processes.RasaServer, database_url: str, workdir: Path) -> str:
    checks = await each_check()
    chat = await chat_path(rasa, database_url, workdir)
    curve = await delay_curve()
    return render(checks, chat, curve)


def render(
    checks: dict[str, list[float]], chat: dict[str, list[float]], curve: list[tuple[int, float]]
) -> str:
    lines = [
        "## Security checks (issue 9)",
        "",
        f"Each check alone, in one process ({MICRO_ROUNDS} runs, µs):",
        "",
        "| check | p50 | p95 |",
        "|---|---|---|",
    ]
    for name, values in checks.items():
        lines.append(f"| {name} | {pct(values, 50):.1f} | {pct(values, 95):.1f} |")
    with_checks, without = chat["with the checks"], chat["without"]
    lines += [
        "",
        f"The web chat end to end (real Rasa, action server and SQLite; {len(with_checks)} "
        "requests each, alternating between two apps on the same stack; ms):",
        "",
        "| app | p50 | p95 | mean |",
        "|---|---|---|---|",
        f"| without the checks (before) | {pct(without, 50):.1f} | {pct(without, 95):.1f} "
        f"| {statistics.mean(without):.1f} |",
        f"| with the checks (after) | {pct(with_checks, 50):.1f} | {pct(with_checks, 95):.1f} "
        f"| {statistics.mean(with_checks):.1f} |",
        "",
        "Sign-in limiter, one (username, address) trying again at once after every answer "
        "(free attempts 5; a 6th and later attempt made while waiting counts as a failure):",
        "",
        "| attempt | " + " | ".join(str(n) for n, _ in curve) + " |",
        "|---|" + "---|" * len(curve),
        "| must wait (s) | " + " | ".join(f"{wait:g}" for _, wait in curve) + " |",
        "",
        f"Delays after n failures: {', '.join(f'{delay_after(n, 5):g}' for n in range(5, 16))} s "
        "(capped at 900 s); per address, whatever the username: 100 failures in 15 minutes.",
        "",
    ]
    return "\n".join(lines)
