"""Messages waiting for a web chat user (a mediator's replies, case news) until the page asks.

The page polls whichever worker the load balancer picks, so with several workers the
messages wait in Redis (`RedisPendingReplies`): a list per chat session, under a hash of the
session id (the id is the session's only credential), kept for a day at most. `make run`'s
one process keeps them in memory (`MemoryPendingReplies`). Storing raises when Redis does not
answer: the relay has not marked the message delivered, and tries again at its next round.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
Pending = dict[str, Any]  # one message, as the page reads it (JSON)
KEEP_SECONDS = 24 * 3600


class PendingReplies(Protocol):
    async def push(self, address: str, messages: list[Pending]) -> None: ...

    async def take(self, address: str) -> list[Pending]:
        """Every message waiting for `address`, oldest first; they are no longer waiting."""


class MemoryPendingReplies:
    def __init__(self) -> None:
        self._pending: dict[str, list[Pending]] = defaultdict(list)

    async def push(self, address: str, messages: list[Pending]) -> None:
        self._pending[address].extend(messages)

    async def take(self, address: str) -> list[Pending]:
        return self._pending.pop(address, [])


class RedisPendingReplies:
    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix + "webchat-pending:"

    def _key(self, address: str) -> str:
        return self._prefix + hashlib.sha256(address.encode()).hexdigest()

    async def push(self, address: str, messages: list[Pending]) -> None:
        if not messages:
            return
        key = self._key(address)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *(json.dumps(m, ensure_ascii=False) for m in messages))
            pipe.expire(key, KEEP_SECONDS)
            await pipe.execute()

    async def take(self, address: str) -> list[Pending]:
        """While Redis does not answer: nothing yet (the page asks again; nothing is lost)."""
        key = self._key(address)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.lrange(key, 0, -1)
                pipe.delete(key)
                stored, _ = await pipe.execute()
        except (RedisError, OSError):
            logger.warning("Redis does not answer: web chat replies wait")
            return []
        return [json.loads(item) for item in stored]
