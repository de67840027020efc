"""Leases in Redis: work that one process at a time may do, across the app's workers.

A lease is a key `SET … NX PX ttl` whose value names its holder. The holder renews it well
before it expires (a third of its life); a holder that dies stops renewing and the lease
expires, so another worker takes the work over within one lease period. Renewal and
release check the value first (one Lua script each), so a worker never extends or deletes
a lease that has passed to another.
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

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.holder, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        result: Any = await self.redis.eval(RENEW, 1, self.key, self.holder, self.ttl_ms)
        return bool(result)

    async def release(self) -> None:
        await self.redis.eval(RELEASE, 1, self.key, self.holder)

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
