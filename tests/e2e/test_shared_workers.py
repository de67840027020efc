"""Several app workers on one PostgreSQL database and one Redis (the production profile):
nothing that matters is kept in one worker. Each worker is a real app on its own port; they
share the stack's Rasa and database, and a Redis key prefix of this test run only.

- a mediator on worker A's console sees, live, what a person wrote through worker B;
- two workers together keep the mediators' group within its budget per minute;
- failed sign-ins on one worker slow the next attempt on another;
- `/healthz`, `/readyz` and `/metrics`, and who may read the last two.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.handoff.models import CaseStatus, HandoffCase
from bot.settings import load_settings
from bot.web.app import create_app
from bot.web.keys import telegram_key
from tests.conftest import Stack
from tests.support import processes
from tests.support.nginx import nginx_binary, nginx_in_front
from tests.support.redis import REDIS_URL, redis_prefix
from tests.support.staff import add_mediator
from tests.support.staff_http import StaffClient, console_hears_live
from tests.support.telegram_double import MEDIATORS_CHAT_ID, TOKEN, BotApiDouble
from tests.support.webchat_http import ask_for_a_mediator, chat, person_session

PASSWORD = "correct horse battery staple"
METRICS_TOKEN = "test-metrics-token-0123456789"
Worker = web.AppRunner
StartWorker = Callable[..., Awaitable[tuple[str, Worker]]]


@pytest.fixture
def pg_stack(database_url: str, request: pytest.FixtureRequest) -> Stack:
    """The production profile runs on PostgreSQL: the SQLite run of the suite skips these."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a PostgreSQL database")
    stack: Stack = request.getfixturevalue("stack")
    return stack


@pytest.fixture
async def workers(pg_stack: Stack, tmp_path: Path) -> AsyncIterator[StartWorker]:
    """Start app workers on the stack's database and Rasa, sharing one Redis prefix. No
    background work: the stack's own app runs the relay."""
    runners: list[web.AppRunner] = []
    async with redis_prefix() as prefix:

        async def start(
            *, extra_hosts: tuple[str, ...] = (), **overrides: object
        ) -> tuple[str, Worker]:
            settings = load_settings(
                **{
                    "database_url": pg_stack.settings.database_url,
                    "redis_url": REDIS_URL,
                    "redis_key_prefix": prefix,
                    "rasa_url": pg_stack.settings.rasa_url,
                    "rasa_auth_token": pg_stack.settings.rasa_token,
                    "web_port": processes.free_port(),
                    # the stack's relay opens the delivery addresses these workers seal
                    "pseudonym_key": pg_stack.settings.pseudonym_key,
                    "pseudonym_key_file": tmp_path / "pseudonym.key",
                    # and reads the texts they seal at rest (one key for the deployment)
                    "text_key_file": pg_stack.settings.text_key_file,
                    "session_key": "shared-workers-session-key-0123456789abcdef",
                    "run_background_work": False,
                    "rasa_tracker_database_url": None,
                    "webchat_messages_per_minute": 100_000,
                    "webchat_new_people_per_hour": 100_000,
                    "webchat_open_cases_per_address": 100_000,
                    **overrides,
                }
            )
            runner = web.AppRunner(create_app(settings), access_log=None)
            await runner.setup()
            for host in (settings.web_host, *extra_hosts):
                await web.TCPSite(runner, host, settings.web_port).start()
            runners.append(runner)
            return f"http://127.0.0.1:{settings.web_port}", runner

        yield start
        for runner in runners:  # a worker that cannot stop within a minute fails the test
            await asyncio.wait_for(runner.cleanup(), timeout=60)


# --- a person on worker B, a mediator on worker A ---------------------------------------------


async def open_web_case(
    stack: Stack, session: aiohttp.ClientSession, base: str, summary: str
) -> int:
    """Through the web chat of `base`: "Talk to a person", yes, the one-line description."""
    await ask_for_a_mediator(session, base, summary)
    async with stack.database.session() as db:
        # the summary is sealed at rest: the newest case, then its opened summary
        case = await db.scalar(select(HandoffCase).order_by(HandoffCase.id.desc()).limit(1))
    assert case is not None and case.summary == summary
    assert case.status == CaseStatus.WAITING
    return case.id


async def test_a_mediator_on_worker_a_sees_live_what_arrived_through_worker_b(
    pg_stack: Stack, workers: StartWorker
) -> None:
    worker_a, _ = await workers()
    worker_b, _ = await workers()
    mediator = await add_mediator(pg_stack.database, ["en"], password=PASSWORD)
    summary = f"help with my residence permit {uuid.uuid4().hex[:8]}"
    async with person_session() as person, StaffClient(worker_a) as staff:
        case_id = await open_web_case(pg_stack, person, worker_b, summary)
        assert await staff.sign_in(mediator.username, PASSWORD, area="console") == 303
        await console_hears_live(staff, worker_a, person, worker_b, case_id, summary)


# --- Telegram's budget for the mediators' group, shared by two workers ------------------------


async def test_two_workers_keep_the_mediators_group_within_its_budget_per_minute(
    workers: StartWorker,
) -> None:
    double = BotApiDouble()
    await double.start()
    budget = 3
    try:
        telegram = {
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": double.base_url,
            "telegram_api_file_url": double.file_url,
            "telegram_webhook_url": "https://assistant.example.org",
            "telegram_webhook_secret": "shared-workers-webhook-secret",
            "telegram_startup_retry_seconds": 0.5,
            "mediators_chat_id": MEDIATORS_CHAT_ID,
            "telegram_group_messages_per_minute": budget,
        }
        bots = []
        for _ in range(2):
            _, runner = await workers(**telegram)
            telegram_runner = runner.app[telegram_key]
            await asyncio.wait_for(telegram_runner.ready.wait(), 30)
            bots.append(telegram_runner.application.bot)

        # each worker posts a full budget's worth: together, twice the budget
        started = time.perf_counter()
        posts = [
            asyncio.ensure_future(bot.send_message(MEDIATORS_CHAT_ID, f"case {n} of worker {w}"))
            for w, bot in enumerate(bots)
            for n in range(budget)
        ]

        def group_posts(calls: list[Any]) -> list[Any]:
            posted = [
                c for c in calls if c.method == "sendMessage" and c.chat_id == MEDIATORS_CHAT_ID
            ]
            return posted if len(posted) >= 2 * budget else []

        posted = await double.wait_for(group_posts, timeout=100, what="all posts in the group")
        for post in posts:
            await post
        times = sorted(c.received_at for c in posted)
        # Telegram counts what arrives within a minute (less a few ms of jitter in transit)
        most = max(sum(1 for t in times if start <= t < start + 59.9) for start in times)
        assert most == budget
        assert times[budget - 1] - started < 5  # the first budget went out at once
    finally:
        await double.stop()


# --- sign-in delays hold across workers ------------------------------------------------------


async def test_failed_sign_ins_on_one_worker_slow_the_next_attempt_on_another(
    pg_stack: Stack, workers: StartWorker
) -> None:
    worker_a, _ = await workers(sign_in_free_attempts=2)
    worker_b, _ = await workers(sign_in_free_attempts=2)
    mediator = await add_mediator(pg_stack.database, ["it"], password=PASSWORD)
    async with StaffClient(worker_a) as on_a, StaffClient(worker_b) as on_b:
        assert await on_a.sign_in(mediator.username, "wrong!", area="console") == 401
        assert await on_a.sign_in(mediator.username, "wrong!", area="console") == 401
        # worker B has seen no failure itself: the streak is in Redis
        assert await on_b.sign_in(mediator.username, PASSWORD, area="console") == 429
        assert int(on_b.last_headers["Retry-After"]) >= 1


# --- health, readiness, metrics ----------------------------------------------------------------


def own_address() -> str:
    """This machine's address that is not loopback: calls to it come "from outside"."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # UDP: no packet is sent, it picks the interface
            address = str(probe.getsockname()[0])
        except OSError:
            address = "127.0.0.1"
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no address other than loopback")
    return address


async def get(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_alive_ready_and_metrics_for_the_operators_only(
    pg_stack: Stack, workers: StartWorker
) -> None:
    outside = own_address()
    worker, _ = await workers(extra_hosts=(outside,), metrics_token=METRICS_TOKEN)
    port = worker.rsplit(":", 1)[1]
    from_outside = f"http://{outside}:{port}"

    assert (await get(worker + "/healthz"))[0] == 200
    assert (await get(from_outside + "/healthz"))[0] == 200  # a load balancer's check

    status, body = await get(worker + "/readyz")
    assert status == 200, body
    assert json.loads(body) == {
        "ready": True,
        "database": True,
        "redis": True,
        "rasa_servers_up": 1,
    }
    # through a proxy (nginx adds X-Forwarded-For), from another host, or with a wrong token
    for url, headers in (
        (worker, {"X-Forwarded-For": "203.0.113.9"}),
        (from_outside, {}),
        (from_outside, {"Authorization": "Bearer not-the-token"}),
    ):
        for path in ("/readyz", "/metrics"):
            assert (await get(url + path, **headers))[0] == 403, (url, path, headers)
    assert (await get(from_outside + "/readyz", Authorization=f"Bearer {METRICS_TOKEN}"))[0] == 200

    # a case waiting in English, and an answer rendered: both show in the metrics
    async with person_session() as person:
        await open_web_case(pg_stack, person, worker, f"need a job {uuid.uuid4().hex[:8]}")
    async with person_session() as another:
        await chat(another, worker, {"button": "t:job"})  # Rasa's answer, rendered
    status, metrics = await get(worker + "/metrics")
    assert status == 200
    waiting = [
        line
        for line in metrics.splitlines()
        if line.startswith('assistant_cases_waiting{language="en"}')
    ]
    assert waiting and float(waiting[0].split()[-1]) >= 1
    assert "assistant_relay_queue_depth" in metrics
    rendered = [
        line for line in metrics.splitlines() if line.startswith("assistant_render_seconds_count")
    ]
    assert rendered and float(rendered[0].split()[-1]) >= 1


async def test_a_worker_is_not_ready_without_rasa_or_redis(workers: StartWorker) -> None:
    nowhere = f"http://127.0.0.1:{processes.free_port()}"
    no_rasa, _ = await workers(rasa_url=nowhere)
    status, body = await get(no_rasa + "/readyz")
    assert status == 503 and json.loads(body)["rasa_servers_up"] == 0
    no_redis, _ = await workers(redis_url=f"redis://127.0.0.1:{processes.free_port()}/0")
    status, body = await get(no_redis + "/readyz")
    assert status == 503 and json.loads(body)["redis"] is False
    assert (await get(no_redis + "/healthz"))[0] == 200  # alive all the same


# --- nginx in front of two workers (deploy/nginx/assistant.conf) ------------------------------


@pytest.fixture
def nginx_binary_available() -> None:
    if nginx_binary() is None:
        pytest.skip(
            "Debian's nginx is not installed here (NGINX_BINARY=/path/to/nginx to point at one)"
        )


async def test_nginx_in_front_of_two_workers(
    pg_stack: Stack, workers: StartWorker, nginx_binary_available: None, tmp_path: Path
) -> None:
    ports = [processes.free_port(), processes.free_port()]
    proxied = {
        "trusted_proxies": ["127.0.0.1/32"],
        "webchat_messages_per_minute": 4,
    }
    with nginx_in_front(ports, tmp_path) as nginx:
        public = nginx.public_url
        for port in ports:
            await workers(web_port=port, public_url=public, **proxied)
        mediator = await add_mediator(pg_stack.database, ["en"], password=PASSWORD)
        tls = aiohttp.TCPConnector(ssl=False)  # the test's self-signed certificate
        async with aiohttp.ClientSession(connector=tls) as client:
            async with client.get(
                f"http://127.0.0.1:{nginx.http_port}/", allow_redirects=False
            ) as r:
                assert r.status == 301 and r.headers["Location"].startswith("https://")
            for path, expected in (("/healthz", 200), ("/metrics", 404), ("/readyz", 404)):
                async with client.get(public + path) as response:
                    assert response.status == expected, path
            async with client.post(public + "/telegram/webhook", json={}) as response:
                assert response.status == 403  # not from Telegram's addresses

        # the console's WebSocket through nginx, over TLS, whichever worker it lands on
        async with StaffClient(public, verify_tls=False) as staff, person_session(False) as person:
            assert await staff.sign_in(mediator.username, PASSWORD, area="console") == 303
            socket = await staff.session.ws_connect(
                public.replace("https", "wss") + "/console/live", headers={"Origin": public}
            )
            case_id = await open_web_case(
                pg_stack, person, public, f"through nginx {uuid.uuid4().hex[:8]}"
            )
            while True:  # other tests' cases may pass by; ours arrives within the deadline
                event = json.loads((await socket.receive(timeout=5)).data)
                if event["case"] == case_id:
                    break
            await socket.close()

            # a client cannot pick its address: nginx replaces X-Forwarded-For, and the
            # limit per address (4 a minute, 3 used above) counts every request as one client
            statuses = []
            for n in range(2):
                async with person.post(
                    public + "/api/chat",
                    json={"text": "ciao"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                ) as response:
                    statuses.append(response.status)
            assert statuses == [200, 429]


# --- metrics of several worker processes on one scrape (PROMETHEUS_MULTIPROC_DIR) ---------------


async def test_any_worker_shows_every_workers_metrics_with_a_shared_directory(
    pg_stack: Stack, tmp_path: Path
) -> None:
    """Two real `python -m bot.main` processes sharing PROMETHEUS_MULTIPROC_DIR (the setting
    for workers on one SO_REUSEPORT port): what one worker measured, the other reports."""
    shared_dir = tmp_path / "metrics"
    shared_dir.mkdir()
    ports = [processes.free_port(), processes.free_port()]
    async with redis_prefix() as prefix:
        env = {
            "DATABASE_URL": pg_stack.settings.database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": prefix,
            "RASA_URL": pg_stack.settings.rasa_url,
            "RASA_AUTH_TOKEN": pg_stack.settings.rasa_token,
            "PSEUDONYM_KEY": "metrics-workers-pseudonym-key",
            "TEXT_KEY_FILE": str(pg_stack.settings.text_key_file),
            "SESSION_KEY": "metrics-workers-session-key-0123456789abcdef",
            "RUN_BACKGROUND_WORK": "false",
            "RASA_TRACKER_DATABASE_URL": "",
            "PROMETHEUS_MULTIPROC_DIR": str(shared_dir),
            "LOG_LEVEL": "WARNING",
        }
        with ExitStack() as running:
            for n, port in enumerate(ports):
                running.enter_context(
                    processes.running(
                        [sys.executable, "-m", "bot.main"],
                        {**env, "WEB_PORT": str(port)},
                        f"http://127.0.0.1:{port}/healthz",
                        tmp_path / f"worker-{n}.log",
                        60,
                    )
                )
            first, second = (f"http://127.0.0.1:{port}" for port in ports)
            before = render_count((await get(second + "/metrics"))[1])
            async with person_session() as person:
                for _ in range(3):
                    await chat(person, first, {"button": "t:job"})  # rendered by the first
            status, metrics = await get(second + "/metrics")
            assert status == 200
            assert render_count(metrics) >= before + 3


def render_count(metrics: str) -> float:
    lines = [
        line for line in metrics.splitlines() if line.startswith("assistant_render_seconds_count")
    ]
    return sum(float(line.split()[-1]) for line in lines)
