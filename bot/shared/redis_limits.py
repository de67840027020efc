"""`Limits` shared by every app worker, in Redis: the same rules as `bot.limits.MemoryLimits`.

A sliding window is a sorted set of event times; a streak is a hash (count, time of the last
failure) that expires after its quiet period. Each operation is one Lua script, so it is
atomic across workers, and every time comes from the Redis server's clock, so workers whose
clocks differ still agree. Keys expire with their window: nothing stays behind.

When Redis does not answer, the limits let everything through (and say so in the log, and
`/readyz` reports the worker not ready): people keep getting answers during a Redis outage,
and Telegram's own 429s, which the bot waits out, stand in for the flood budgets.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.limits import Streak

logger = logging.getLogger(__name__)
MICROS = 1_000_000
T = TypeVar("T")

# KEYS[1] = window; ARGV = limit, window (µs), a unique member. Returns the wait in µs (0 = taken).
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return math.max(1000, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 0
"""

# KEYS[1] = window; ARGV = window (µs), a unique member ('' = only count). Returns the count.
COUNT_OR_ADD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
end
return redis.call('ZCARD', KEYS[1])
"""

# KEYS[1] = streak; ARGV = forget after (ms), or '' to read only. Returns {count, age in µs}.
STREAK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = redis.call('HMGET', KEYS[1], 'count', 'last')
local count, last = tonumber(stored[1]) or 0, tonumber(stored[2]) or now
if ARGV[1] == '' then
  return {count, now - last}
end
redis.call('HSET', KEYS[1], 'count', count + 1, 'last', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return {count + 1, 0}
"""


class RedisLimits:
    """`bot.limits.Limits` on a Redis server, under `prefix` (one per deployment)."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix + "limits:"
        self._take = client.register_script(TAKE)
        self._count_or_add = client.register_script(COUNT_OR_ADD)
        self._streak = client.register_script(STREAK)

    async def take(self, key: str, limit: int, window_seconds: float) -> float:
        args: list[str | int] = [int(limit), _micros(window_seconds), _member()]
        wait = await _or(0, lambda: self._take(keys=[self._prefix + key], args=args))
        return int(wait) / MICROS

    async def count(self, key: str, window_seconds: float) -> int:
        args: list[str | int] = [_micros(window_seconds), ""]
        return int(await _or(0, lambda: self._count_or_add(keys=[self._prefix + key], args=args)))

    async def add(self, key: str, window_seconds: float) -> None:
        args: list[str | int] = [_micros(window_seconds), _member()]
        await _or(0, lambda: self._count_or_add(keys=[self._prefix + key], args=args))

    async def streak(self, key: str) -> Streak:
        keys = [self._prefix + "streak:" + key]
        count, age = await _or([0, 0], lambda: self._streak(keys=keys, args=[""]))
        return Streak(int(count), int(age) / MICROS if count else 0.0)

    async def extend_streak(self, key: str, forget_after_seconds: float) -> Streak:
        keys, forget_ms = (
            [self._prefix + "streak:" + key],
            max(1, round(forget_after_seconds * 1000)),
        )
        count, _ = await _or([0, 0], lambda: self._streak(keys=keys, args=[forget_ms]))
        return Streak(int(count), 0.0)

    async def end_streak(self, key: str) -> None:
        await _or(0, lambda: self._client.delete(self._prefix + "streak:" + key))


async def _or(fallback: T, call: Callable[[], Awaitable[T]]) -> T:
    """The answer of Redis, or `fallback` (allow) when it does not answer."""
    try:
        return await call()
    except (RedisError, OSError):
        logger.warning("Redis does not answer: limits let this through")
        return fallback


def _micros(seconds: float) -> int:
    return max(1, round(seconds * MICROS))


def _member() -> str:
    return uuid.uuid4().hex
