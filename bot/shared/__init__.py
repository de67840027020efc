"""What the app's workers share: rate limits, the console's live events, the web chat's
pending replies. In Redis when `redis_url` is set (several workers, the production
profile); in the process otherwise (`make run`'s one app process).

`shared_state(settings)` builds them once at start-up; `start()` / `close()` open and close
the Redis connection and the live events' subscription.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.handoff.events import CaseEvents
from bot.limits import Limits, MemoryLimits
from bot.settings import Settings
from bot.shared.live_events import RedisCaseEvents
from bot.shared.pending import MemoryPendingReplies, PendingReplies, RedisPendingReplies
from bot.shared.redis_limits import RedisLimits

REDIS_TIMEOUT_SECONDS = 5.0


@dataclass
class SharedState:
    limits: Limits
    events: CaseEvents
    pending: PendingReplies
    redis: Redis | None = None

    async def start(self) -> None:
        if isinstance(self.events, RedisCaseEvents):
            await self.events.start()

    async def close(self) -> None:
        if isinstance(self.events, RedisCaseEvents):
            await self.events.stop()
        if self.redis is not None:
            await self.redis.aclose()

    async def redis_reachable(self) -> bool | None:
        """None without Redis; else whether it answers a PING."""
        if self.redis is None:
            return None
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False


def connect(settings: Settings) -> Redis:
    assert settings.redis_url
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def shared_state(settings: Settings) -> SharedState:
    if not settings.redis_url:
        return SharedState(MemoryLimits(), CaseEvents(), MemoryPendingReplies())
    client = connect(settings)
    prefix = settings.redis_key_prefix
    return SharedState(
        RedisLimits(client, prefix),
        RedisCaseEvents(client, prefix),
        RedisPendingReplies(client, prefix),
        client,
    )
