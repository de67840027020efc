"""The production profile's shared work (with `redis_url`): the intake of Telegram updates
through Redis Streams, and the work that must run once across workers (the handoff relay
with its reminders and escalations, the daily retention purge) under Redis leases.

Without `redis_url` none of this runs: `make run` is one process that does everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram import Update

from bot.channels.intake import IntakeConfig, StreamIntake
from bot.leases import Lease, LeasedTask, claim_once
from bot.settings import Settings
from bot.web.keys import relay_key, settings_key, telegram_key

logger = logging.getLogger(__name__)

scaling_redis_key = web.AppKey("scaling_redis", Redis)
intake_key = web.AppKey("intake", StreamIntake)
RELAY_LEASE_SECONDS = 10.0
RETENTION_CHECK_SECONDS = 3600.0
RETENTION_PERIOD_SECONDS = 24 * 3600.0


def worker_name() -> str:
    """Unique per process, and readable in Redis (`…intake:workers`)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def add_shared_work(app: web.Application, purge: Callable[[], Awaitable[None]]) -> None:
    """Registers the lifetimes of the production profile (called by `create_app`)."""
    settings = app[settings_key]
    app.cleanup_ctx.append(_redis_lifetime)
    if settings.run_background_work:
        app.cleanup_ctx.append(_leased_relay_lifetime)
        app.cleanup_ctx.append(_claimed_retention_lifetime(purge))
    if settings.telegram_enabled and settings.telegram_webhook_url:
        app.cleanup_ctx.append(_intake_lifetime)  # after Telegram's: stopped before it


async def _redis_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    app[scaling_redis_key] = redis
    yield
    await redis.aclose()


async def _leased_relay_lifetime(app: web.Application) -> AsyncIterator[None]:
    """One relay across the workers: the holder of the lease runs it."""
    settings, relay = app[settings_key], app[relay_key]
    lease = Lease(
        app[scaling_redis_key],
        f"{settings.redis_key_prefix}lease:relay",
        worker_name(),
        RELAY_LEASE_SECONDS,
    )
    leased = LeasedTask(lease, relay.start, relay.stop)
    leased.begin()
    yield
    await leased.end()


def _claimed_retention_lifetime(
    purge: Callable[[], Awaitable[None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        """Every worker asks each hour; one of them a day purges."""
        settings, redis = app[settings_key], app[scaling_redis_key]
        key = f"{settings.redis_key_prefix}claim:retention"

        async def daily() -> None:
            while True:
                try:
                    if await claim_once(redis, key, RETENTION_PERIOD_SECONDS):
                        await purge()
                except RedisError:
                    logger.warning("retention: Redis unreachable; asking again later")
                await asyncio.sleep(RETENTION_CHECK_SECONDS)

        task = asyncio.create_task(daily(), name="retention")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return lifetime


def intake_config(settings: Settings) -> IntakeConfig:
    return IntakeConfig(
        prefix=f"{settings.redis_key_prefix}intake:",
        partitions=settings.intake_partitions,
        lease_seconds=settings.intake_lease_seconds,
        remember_seconds=settings.intake_remember_seconds,
        worker=worker_name(),
    )


async def _intake_lifetime(app: web.Application) -> AsyncIterator[None]:
    runner = app[telegram_key]
    application = runner.application

    async def handle(data: dict[str, Any]) -> None:
        await application.process_update(Update.de_json(data, application.bot))

    intake = StreamIntake(app[scaling_redis_key], intake_config(app[settings_key]), handle)
    app[intake_key] = intake

    async def start_when_connected() -> None:
        await runner.ready.wait()  # the bot can send (Telegram answered getMe)
        while True:
            try:
                await intake.start()
                return
            except RedisError:
                logger.warning("intake: Redis unreachable; retrying")
                await asyncio.sleep(1.0)

    starting = asyncio.create_task(start_when_connected(), name="intake-start")
    yield
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    await intake.stop()


async def accept_update(intake: StreamIntake, update: Update, data: dict[str, Any]) -> web.Response:
    """Answer Telegram 200 only once the update is stored; 503 makes Telegram try again."""
    chat = update.effective_chat or update.effective_user
    try:
        await intake.accept(update.update_id, chat.id if chat else 0, data)
    except RedisError:
        logger.warning("intake: Redis unreachable; Telegram will deliver the update again")
        raise web.HTTPServiceUnavailable() from None
    return web.Response()
