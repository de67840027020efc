"""The cost of sharing the app's state between workers through Redis (issue 11), against
keeping it in the process (`make run`), side by side in one run:

1. Each operation alone (µs): a sliding-window limit (flood gate, web chat per address,
   Telegram's budgets), a sign-in streak read, a web chat pending reply stored and taken, and
   a console event from one worker to another's socket (Redis pub/sub) or within one process.
2. The web chat end to end through the real Rasa and action server: one app with the state
   in the process, one with it in the local Redis (`REDIS_URL`), requests alternating so that
   both see the same load.

Runs alone: `.venv/bin/python -m tests.bench.shared_state` (Rasa, action server and a SQLite
knowledge base are started for it); `make bench` includes it. Redis keys live under a
prefix of the run, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from redis.asyncio import Redis

from bot.handoff.events import CaseEvents
from bot.limits import Limits, MemoryLimits
from bot.shared.live_events import RedisCaseEvents
from bot.shared.pending import MemoryPendingReplies, PendingReplies, RedisPendingReplies
from bot.shared.redis_limits import RedisLimits
from bot.web.app import create_app
from tests.bench.handoff import pct
from tests.bench.security import alternating, micro, serving
from tests.conftest import stack_settings
from tests.support import processes
from tests.support.redis import REDIS_URL, redis_prefix
from tests.support.telegram_double import BotApiDouble

MICRO_ROUNDS = 3000


async def limit_costs(limits: Limits) -> dict[str, list[float]]:
    async def window(i: int) -> object:
        return await limits.take(f"person:{i % 500}", 30, 60)

    async def streak(i: int) -> object:
        return await limits.streak(f"sign-in:{i % 50}")

    return {
        "sliding-window limit (take)": await micro(window, MICRO_ROUNDS),
        "streak read": await micro(streak, MICRO_ROUNDS),
    }


async def pending_costs(pending: PendingReplies) -> list[float]:
    async def store_and_take(i: int) -> object:
        await pending.push(f"session-{i}", [{"text": "un messaggio del mediatore"}])
        return await pending.take(f"session-{i}")

    return await micro(store_and_take, MICRO_ROUNDS)


async def event_costs(publisher: CaseEvents, listener: CaseEvents) -> list[float]:
    """From `publish` on one side to the socket's queue on the other."""
    queue = listener.subscribe(7)

    async def one(_: int) -> object:
        await publisher.publish(7)
        return await asyncio.wait_for(queue.get(), 5)

    try:
        return await micro(one, MICRO_ROUNDS // 3)
    finally:
        listener.unsubscribe(queue, 7)


async def each_operation(prefix: str) -> dict[str, tuple[list[float], list[float]]]:
    """name → (in the process, in Redis)."""
    clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    worker_a, worker_b = (RedisCaseEvents(client, prefix) for client in clients)
    await worker_a.start()
    await worker_b.start()
    try:
        memory = await limit_costs(MemoryLimits())
        redis = await limit_costs(RedisLimits(clients[0], prefix))
        local_events = CaseEvents()
        return {
            **{name: (memory[name], redis[name]) for name in memory},
            "web chat pending reply stored and taken": (
                await pending_costs(MemoryPendingReplies()),
                await pending_costs(RedisPendingReplies(clients[0], prefix)),
            ),
            "console event to a socket (Redis: from another worker)": (
                await event_costs(local_events, local_events),
                await event_costs(worker_b, worker_a),
            ),
        }
    finally:
        await worker_a.stop()
        await worker_b.stop()
        for client in clients:
            await client.aclose()


async def chat_path(
    rasa: processes.RasaServer, database_url: str, workdir: Path, prefix: str
) -> dict[str, list[float]]:
    double = BotApiDouble()
    await double.start()
    settings = stack_settings(rasa, database_url, double, workdir).model_copy(
        update={
            "telegram_bot_token": None,
            "run_background_work": False,
            "redis_key_prefix": prefix,
        }
    )
    apps = {
        "in the process": create_app(settings),
        "in Redis": create_app(settings.model_copy(update={"redis_url": REDIS_URL})),
    }
    try:
        async with serving(apps) as urls:
            return await alternating(urls)
    finally:
        await double.stop()


async def run(rasa: processes.RasaServer, database_url: str, workdir: Path) -> str:
    async with redis_prefix() as prefix:
        operations = await each_operation(prefix)
        chat = await chat_path(rasa, database_url, workdir, prefix)
    return render(operations, chat)


def render(
    operations: dict[str, tuple[list[float], list[float]]], chat: dict[str, list[float]]
) -> str:
    lines = [
        "## Shared state of several workers: Redis against the process (issue 11)",
        "",
        f"Each operation alone ({MICRO_ROUNDS} runs; console events {MICRO_ROUNDS // 3}; µs), "
        "Redis on 127.0.0.1:",
        "",
        "| operation | in the process p50 | p95 | in Redis p50 | p95 |",
        "|---|---|---|---|---|",
    ]
    for name, (memory, redis) in operations.items():
        lines.append(
            f"| {name} | {pct(memory, 50):.1f} | {pct(memory, 95):.1f} "
            f"| {pct(redis, 50):.1f} | {pct(redis, 95):.1f} |"
        )
    local, shared = chat["in the process"], chat["in Redis"]
    lines += [
        "",
        "The web chat end to end (real Rasa, action server and SQLite; "
        f"{len(local)} requests each, alternating between two apps on the same stack; ms). "
        "Each message takes two windows (the address's and the person's flood gate):",
        "",
        "| state | p50 | p95 | mean |",
        "|---|---|---|---|",
        f"| in the process (`make run`) | {pct(local, 50):.1f} | {pct(local, 95):.1f} "
        f"| {statistics.mean(local):.1f} |",
        f"| in Redis (`REDIS_URL`) | {pct(shared, 50):.1f} | {pct(shared, 95):.1f} "
        f"| {statistics.mean(shared):.1f} |",
    ]
    return "\n".join(lines) + "\n"


async def standalone() -> str:
    with processes.sample_stack(Path(tempfile.mkdtemp(prefix="bench-shared-"))) as (
        rasa,
        database_url,
        workdir,
    ):
        return await run(rasa, database_url, workdir)


if __name__ == "__main__":
    print(asyncio.run(standalone()))
