"""For the operators: `/healthz` (the process is alive), `/readyz` (it can serve: database,
Redis when configured, at least one Rasa server) and Prometheus `/metrics`.

`/healthz` is public (a load balancer's check). `/readyz` and `/metrics` answer only a caller
on loopback whose request came through no proxy (nginx adds `X-Forwarded-For`, so nothing
from outside reaches them through it), or one that presents `METRICS_TOKEN` as a bearer
token (a Prometheus on another host, over TLS).

Metrics: the stage histograms and counters are per process (`bot.metrics` and the intake
and Rasa modules). Each worker's `/metrics` shows that worker, and Prometheus scrapes every
worker's own loopback port (`deploy/prometheus.yml`). When the workers share one port
(`SO_REUSEPORT`), set `PROMETHEUS_MULTIPROC_DIR` to a directory they share, emptied before
they start: any worker's `/metrics` then adds up all of them. Figures of the database
(cases waiting by language, messages the relay has yet to deliver) are read at scrape time.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator, Sequence

import aiohttp
from aiohttp import hdrs, web
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase
from bot.kb.db import Database
from bot.settings import Settings
from bot.web.keys import database_key, settings_key, shared_key

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
PROXY_HEADERS = (hdrs.X_FORWARDED_FOR, hdrs.FORWARDED, "X-Real-IP")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def add_operations_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


# --- who may ask --------------------------------------------------------------------------


def is_operator(request: web.Request, token: str) -> bool:
    """A caller on loopback that came through no proxy, or one with the metrics token."""
    if token:
        given = request.headers.get(hdrs.AUTHORIZATION, "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    peer = request.transport.get_extra_info("peername") if request.transport else None
    try:
        return peer is not None and ipaddress.ip_address(peer[0]).is_loopback
    except (ValueError, TypeError, IndexError):
        return False  # a Unix socket: a proxy's, not an operator's


def require_operator(request: web.Request) -> None:
    settings = request.app[settings_key]
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if not is_operator(request, token):
        raise web.HTTPForbidden(text="for the operators only")


# --- alive and ready ----------------------------------------------------------------------


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    require_operator(request)
    app = request.app
    database, redis, rasa = await asyncio.gather(
        database_ready(app[database_key]),
        app[shared_key].redis_reachable(),
        rasa_servers_up(rasa_urls(app[settings_key])),
    )
    ready = database and redis is not False and rasa > 0
    body = {
        "ready": ready,
        "database": database,
        "redis": "not used" if redis is None else redis,
        "rasa_servers_up": rasa,
    }
    return web.json_response(body, status=200 if ready else 503)


async def database_ready(database: Database) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), database.session() as session:
            await session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure of the driver means "not ready"; the cause is logged
        logger.warning("readiness: the database does not answer", exc_info=True)
        return False


def rasa_urls(settings: Settings) -> list[str]:
    """The Rasa servers this worker may send to."""
    return settings.rasa_servers


async def rasa_servers_up(urls: Sequence[str]) -> int:
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        answers = await asyncio.gather(*(_answers(session, url) for url in urls))
    return sum(answers)


async def _answers(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url.rstrip("/") + "/") as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


# --- metrics ------------------------------------------------------------------------------


async def metrics(request: web.Request) -> web.Response:
    require_operator(request)
    body = generate_latest(process_registry())
    try:
        figures = await database_figures(request.app[database_key])
    except Exception:  # the database is down: the process's metrics still help (see /readyz)
        logger.warning("metrics: the database does not answer", exc_info=True)
    else:
        snapshot = CollectorRegistry(auto_describe=False)
        snapshot.register(DatabaseFigures(*figures))
        body += generate_latest(snapshot)
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: METRICS_CONTENT_TYPE})


def process_registry() -> CollectorRegistry:
    """This process's metrics, or every worker's when they share PROMETHEUS_MULTIPROC_DIR."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def database_figures(database: Database) -> tuple[dict[str, int], int]:
    """(cases waiting by language, messages the relay has yet to deliver)."""
    async with database.session() as session:
        waiting = await session.execute(
            select(HandoffCase.language, func.count())
            .where(HandoffCase.status == CaseStatus.WAITING)
            .group_by(HandoffCase.language)
        )
        undelivered = await session.scalar(
            select(func.count()).select_from(CaseMessage).where(CaseMessage.delivered_at.is_(None))
        )
    return {language: count for language, count in waiting.tuples()}, int(undelivered or 0)


class DatabaseFigures(Collector):
    def __init__(self, waiting: dict[str, int], undelivered: int) -> None:
        self._waiting = waiting
        self._undelivered = undelivered

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "assistant_cases_waiting",
            "Handoff cases waiting for a mediator, by the person's language.",
            labels=["language"],
        )
        for language, count in sorted(self._waiting.items()):
            waiting.add_metric([language], count)
        yield waiting
        yield GaugeMetricFamily(
            "assistant_relay_queue_depth",
            "Case messages stored and not yet delivered by the relay (to people or mediators).",
            value=self._undelivered,
        )
