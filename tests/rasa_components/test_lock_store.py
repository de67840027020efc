"""The failover-safe lock store on a real Redis (runs in Rasa's environment): a Rasa server
killed while it holds a conversation does not block the next server for longer than one
lock lifetime, and two servers never hold one conversation at once."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from rasa.core.lock_store import RedisLockStore

from rasa_components.lock_store import FailoverRedisLockStore

LIFETIME = 1.0


def store(kind: type[RedisLockStore], prefix: str) -> RedisLockStore:
    return kind(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)


async def wait_for_lock(lock_store: RedisLockStore, conversation: str, limit: float) -> float:
    """Seconds until the lock was taken (or `limit`, if it was not)."""
    started = time.monotonic()

    async def take() -> None:
        async with lock_store.lock(conversation, LIFETIME, 0.1):
            pass

    try:
        await asyncio.wait_for(take(), limit)
    except asyncio.TimeoutError:  # noqa: UP041 (Rasa runs on Python 3.10, where it differs)
        return limit
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("kind", "blocked"), [(RedisLockStore, True), (FailoverRedisLockStore, False)]
)
def test_the_next_server_goes_on_after_a_killed_holders_lifetime(
    kind: type[RedisLockStore], blocked: bool
) -> None:
    """Rasa's own store waits for ever here (this is why the production profile names ours)."""
    prefix = "test" + uuid.uuid4().hex[:8]
    killed, survivor = store(kind, prefix), store(kind, prefix)
    killed.issue_ticket("a-person", LIFETIME)  # took the lock, then was killed

    waited = asyncio.run(wait_for_lock(survivor, "a-person", LIFETIME * 6))

    if blocked:
        assert waited == LIFETIME * 6
    else:
        assert LIFETIME * 0.8 < waited < LIFETIME * 2.5
        assert survivor.get_lock("a-person") is None  # nothing left behind


def test_two_servers_take_one_conversation_in_turn_never_together() -> None:
    prefix = "test" + uuid.uuid4().hex[:8]
    servers = [store(FailoverRedisLockStore, prefix) for _ in range(2)]
    holding: list[int] = []
    overlaps: list[int] = []
    order: list[int] = []

    async def message(server: int, number: int) -> None:
        async with servers[server].lock("a-person", LIFETIME * 5, 0.05):
            if holding:
                overlaps.append(number)
            holding.append(number)
            await asyncio.sleep(0.05)
            order.append(number)
            holding.remove(number)

    async def burst() -> None:
        tasks = []
        for number in range(8):
            tasks.append(asyncio.create_task(message(number % 2, number)))
            await asyncio.sleep(0.01)  # issued in this order
        await asyncio.gather(*tasks)

    asyncio.run(burst())
    assert not overlaps
    assert order == list(range(8))
    assert servers[0].get_lock("a-person") is None
