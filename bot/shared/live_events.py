"""The console's live events across workers: Redis pub/sub.

A change published by any worker (a message that arrived through it, a mediator's action)
goes to one Redis channel; every worker listens to it and wakes its own sockets, which then
read the case from the database. Pub/sub delivers at most once: if the connection to Redis
breaks, the listener reconnects and wakes all of its sockets, and the console still re-reads
every 15 seconds, so a lost event delays an update but never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from bot.handoff.events import CaseEvents

logger = logging.getLogger(__name__)
RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


STOP_SECONDS = 5.0


class RedisCaseEvents(CaseEvents):
    def __init__(self, client: Redis, prefix: str) -> None:
        super().__init__()
        self._client = client
        self._channel = prefix + "case-events"
        self._listener: asyncio.Task[None] | None = None

    async def publish(self, case_id: int) -> None:
        try:
            await self._client.publish(self._channel, str(case_id))
        except RedisError:
            # the change is in the database; consoles see it at their next re-read
            logger.warning("could not publish a case event to Redis; delivering locally")
            self.deliver(case_id)

    async def start(self) -> None:
        """Subscribed when this returns (nothing published afterwards is missed), unless Redis
        is unreachable: then the worker starts anyway, not ready (`/readyz`), and keeps trying."""
        pubsub: PubSub | None = None
        try:
            pubsub = await self._subscribed()
        except (RedisError, OSError):
            logger.warning("Redis unreachable at start-up: live events will follow when it is")
        self._listener = asyncio.create_task(self._listen(pubsub), name="case-events")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            # a bounded wait: a subscription stuck in the Redis client must not hold up the
            # worker's shutdown (the task is cancelled; the process may end regardless)
            await asyncio.wait({self._listener}, timeout=STOP_SECONDS)

    async def _subscribed(self) -> PubSub:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        return pubsub

    async def _listen(self, pubsub: PubSub | None) -> None:
        failures = 0
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribed()
                    self.deliver_to_all()  # what was published meanwhile is lost: re-read
                async for message in pubsub.listen():
                    failures = 0
                    self._on_message(message)
            except (RedisError, OSError):
                logger.warning("lost the Redis subscription to case events; reconnecting")
            if pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                pubsub = None
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1

    def _on_message(self, message: dict[str, object]) -> None:
        data = message.get("data")
        text = data.decode() if isinstance(data, bytes) else str(data)
        if text.isdigit():
            self.deliver(int(text))
