"""`Limits` shared by every app worker, in Redis: the same rules as `bot.limits.MemoryLimits`.

A sliding window is a sorted set of event times; a streak is a hash (count, time of the last
failure) that expires after its quiet period. Each operation is one Lua script, so it is
atomic across workers, and every time comes from the Redis server's clock, so workers whose
clocks differ still agree. Keys expire with their window: nothing stays behind.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from bot.limits import Streak

MICROS = 1_000_000

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
        wait = await self._take(
            keys=[self._prefix + key], args=[int(limit), _micros(window_seconds), _member()]
        )
        return int(wait) / MICROS

    async def count(self, key: str, window_seconds: float) -> int:
        return int(
            await self._count_or_add(keys=[self._prefix + key], args=[_micros(window_seconds), ""])
        )

    async def add(self, key: str, window_seconds: float) -> None:
        await self._count_or_add(
            keys=[self._prefix + key], args=[_micros(window_seconds), _member()]
        )

    async def streak(self, key: str) -> Streak:
        count, age = await self._streak(keys=[self._prefix + "streak:" + key], args=[""])
        return Streak(int(count), int(age) / MICROS if count else 0.0)

    async def extend_streak(self, key: str, forget_after_seconds: float) -> Streak:
        forget_ms = max(1, round(forget_after_seconds * 1000))
        count, _ = await self._streak(keys=[self._prefix + "streak:" + key], args=[forget_ms])
        return Streak(int(count), 0.0)

    async def end_streak(self, key: str) -> None:
        await self._client.delete(self._prefix + "streak:" + key)


def _micros(seconds: float) -> int:
    return max(1, round(seconds * MICROS))


def _member() -> str:
    return uuid.uuid4().hex
