"""The production topology for tests and benchmarks: N app workers (webhook mode, against the
Bot API double), N Rasa servers and N action servers on a throwaway PostgreSQL database and
run-specific Redis keys, started with `bot.ops.topology` like `make run-prod` does."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from redis import Redis

from bot.ops.topology import Service, Topology, prepare, running
from bot.web.app import SECRET_HEADER, WEBHOOK_PATH
from tests.support import processes
from tests.support.databases import POSTGRES_URL, _admin
from tests.support.telegram_double import TOKEN, BotApiDouble, TelegramUser

WEBHOOK_SECRET = "production-webhook-secret"
RASA_TOKEN = "production-rasa-token"
REDIS_URL = "redis://127.0.0.1:6379/0"
UPDATE_IDS = itertools.count(1)
MESSAGE_IDS = itertools.count(50_000)


@contextmanager
def production_databases() -> Iterator[tuple[str, str]]:
    """Names for a fresh app database and Rasa tracker database (`prepare` creates them,
    as `make run-prod` does; dropped afterwards)."""
    name = f"assistant_prod_{uuid.uuid4().hex[:10]}"
    url = POSTGRES_URL.format(name=name)
    try:
        yield url, f"{name}_rasa"
    finally:
        for database in (name, f"{name}_rasa"):
            _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def topology_for(
    double: BotApiDouble,
    database_url: str,
    tracker_db: str,
    workdir: Path,
    counts: tuple[int, int, int],
    **app_env: str,
) -> Topology:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    return Topology(
        database_url=database_url,
        redis_url=REDIS_URL,
        rasa_tracker_db=tracker_db,
        app_workers=counts[0],
        rasa_servers=counts[1],
        action_servers=counts[2],
        separate_web_ports=[processes.free_port() for _ in range(counts[0])],
        rasa_base_port=_free_run(counts[1]),
        action_base_port=_free_run(counts[2]),
        redis_key_prefix=prefix,
        rasa_lock_prefix=prefix.strip(":").replace("-", ""),
        log_dir=workdir,
        rasa_auth_token=RASA_TOKEN,
        action_server_token=processes.ACTION_TOKEN,
        rasa_lock_lifetime_seconds=5,
        app_env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": double.base_url,
            "TELEGRAM_API_FILE_URL": double.file_url,
            "TELEGRAM_WEBHOOK_URL": "https://assistant.example.org",
            # one public address for every worker, as behind a real proxy (the workers of
            # a test have a port each; the privacy notice links to this address)
            "PUBLIC_URL": "http://assistant.example.org",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_STARTUP_RETRY_SECONDS": "0.5",
            "PSEUDONYM_KEY": f"production-test-key-{prefix}",
            "SESSION_KEY": "production-test-session-key-0123456789abcdef",
            "LOG_LEVEL": "WARNING",
            "PERSON_MESSAGES_PER_MINUTE": "1000",
            **app_env,
        },
    )


def _free_run(count: int) -> int:
    """A first port whose next `count - 1` ports are free too."""
    while True:
        first = processes.free_port()
        if first + count < 65000 and all(_is_free(first + i) for i in range(count)):
            return first


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Production:
    topology: Topology
    services: list[Service]
    double: BotApiDouble

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def worker_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}{WEBHOOK_PATH}" for p in self.topology.web_ports()]


def clear_redis(prefix: str) -> None:
    """The run's keys (the workers have stopped)."""
    redis = Redis.from_url(REDIS_URL)
    keys = list(redis.scan_iter(f"{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


@contextmanager
def production(
    double: BotApiDouble,
    workdir: Path,
    counts: tuple[int, int, int],
    **app_env: str,
) -> Iterator[Production]:
    with production_databases() as (url, tracker_db):
        topology = topology_for(double, url, tracker_db, workdir, counts, **app_env)
        prepare(topology)
        try:
            with running(topology) as services:
                yield Production(topology, services, double)
        finally:
            clear_redis(topology.redis_key_prefix)


async def wait_for_webhooks(double: BotApiDouble, workers: int, timeout: float = 60) -> None:
    """Every worker connected to the Bot API (it registers the webhook once connected)."""
    await double.wait_for(
        lambda calls: [c for c in calls if c.method == "setWebhook"][workers - 1 :],
        timeout,
        what="every worker's setWebhook",
    )


class Webhook:
    """Telegram's side of the webhook: posts each update to a worker, and when that worker
    cannot be reached, to another (as Telegram retries, or a load balancer moves on)."""

    def __init__(self, double: BotApiDouble, urls: list[str]) -> None:
        self.double = double
        self.urls = urls
        self._update_ids = UPDATE_IDS  # one bot's update ids never repeat
        self._message_ids = MESSAGE_IDS
        self.session: aiohttp.ClientSession | None = None
        self.posted_at: dict[int, float] = {}

    async def __aenter__(self) -> Webhook:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.session is not None
        await self.session.close()

    def text_update(self, user: TelegramUser, text: str) -> dict[str, Any]:
        update_id = next(self._update_ids)
        return {
            "update_id": update_id,
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": user.as_json(),
                "text": text,
            },
        }

    async def deliver(self, update: dict[str, Any], worker: int, deadline: float = 60) -> int:
        """Posts until a worker answers 200 (starting with `worker`); the worker that took it."""
        assert self.session is not None
        headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
        body = json.dumps(update)
        give_up = time.monotonic() + deadline
        attempt = 0
        while True:
            index = (worker + attempt) % len(self.urls)
            try:
                self.posted_at.setdefault(update["update_id"], time.perf_counter())
                async with self.session.post(self.urls[index], data=body, headers=headers) as r:
                    if r.status == 200:
                        return index
            except (aiohttp.ClientError, TimeoutError):
                pass
            attempt += 1
            if time.monotonic() > give_up:
                raise AssertionError(f"no worker took update {update['update_id']}")
            await asyncio.sleep(0.05)
