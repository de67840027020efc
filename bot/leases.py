"""Leases in Redis: work that one process at a time may do, across the app's workers.

A lease is a key whose value names its holder and a fencing token: a number that grows with
every new holder (`INCR` of a companion key, in the same Lua script that sets the lease). The
holder renews it well before it expires (a third of its life); a holder that dies stops
renewing and the lease expires, so another worker takes the work over within one lease
period. Renewal and release check the whole value first (one Lua script each), so a worker
never extends or deletes a lease that has passed to another, nor one it held before and
lost: a worker that takes a lease again gets a new token, and what it began under the old
one cannot pass for the new holder's (`bot.channels.intake` checks the token before each
entry it handles).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then
  return false
end
local value = ARGV[1] .. '#' .. redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], value, 'PX', ARGV[2])
return value
"""
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

AnyRedis = Redis  # decode_responses=True clients: keys and values are str


class Lease:
    def __init__(self, redis: AnyRedis, key: str, holder: str, ttl_seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.holder = holder
        self.ttl_ms = int(ttl_seconds * 1000)
        self.value: str | None = None  # "<holder>#<token>" while (or since) this one held it

    @property
    def fence_key(self) -> str:
        return f"{self.key}:fence"

    async def acquire(self) -> bool:
        """Take the lease if it is free, with a new fencing token."""
        value: Any = await self.redis.eval(
            ACQUIRE, 2, self.key, self.fence_key, self.holder, self.ttl_ms
        )
        if not value:
            return False
        self.value = value.decode() if isinstance(value, bytes) else str(value)
        return True

    async def renew(self) -> bool:
        if self.value is None:
            return False
        result: Any = await self.redis.eval(RENEW, 1, self.key, self.value, self.ttl_ms)
        return bool(result)

    async def release(self) -> None:
        if self.value is not None:
            await self.redis.eval(RELEASE, 1, self.key, self.value)

    async def hold(self) -> bool:
        """Renew if held, else try to take it: whether this holder has it now."""
        return await self.renew() or await self.acquire()


async def claim_once(redis: AnyRedis, key: str, period_seconds: float) -> bool:
    """True for exactly one caller per period across every worker (e.g. a daily purge)."""
    return bool(await redis.set(key, "1", nx=True, px=int(period_seconds * 1000)))


class LeasedTask:
    """Runs `start()` while this worker holds the lease, `stop()` when it loses or leaves it.

    For work that must run once across workers (the handoff relay): every worker keeps
    trying; the holder runs the work; if it dies, another takes over within `ttl_seconds`."""

    def __init__(
        self,
        lease: Lease,
        start: Callable[[], None],
        stop: Callable[[], Awaitable[None]],
    ) -> None:
        self.lease = lease
        self._start = start
        self._stop = stop
        self.running = False
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"lease {self.lease.key}")

    async def _loop(self) -> None:
        period = self.lease.ttl_ms / 3000
        while True:
            try:
                held = await self.lease.hold()
            except RedisError:
                logger.warning("lease %s: Redis unreachable", self.lease.key)
                held = False
            if held and not self.running:
                self.running = True
                self._start()
            elif not held and self.running:
                self.running = False
                await self._stop()
            await asyncio.sleep(period)

    async def end(self) -> None:
        """Stop the work (it finishes what it is sending) and hand the lease on at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.running:
            self.running = False
            await self._stop()
            with contextlib.suppress(RedisError):
                await self.lease.release()
