"""Rasa's Redis lock store, made safe for failover between Rasa servers (runs in Rasa's
environment; `deploy/endpoints.prod.yml` names it).

Rasa Open Source 3.6's `RedisLockStore` queues a conversation's messages with numbered
tickets that expire `TICKET_LOCK_LIFETIME` seconds after they were issued. Two of its habits
hurt a production profile where a killed Rasa server's people move to the next server:

- A waiter's own ticket expires while it waits. When a server is killed holding a
  conversation's lock, the next server's ticket (issued a moment later) expires about when
  the dead one's does; the lock is then saved with no ticket, `now_serving` is 0, and the
  waiter loops until its caller gives up (measured: the app's 15 s timeout, every time).
- Every change is a read, a change in Python and a write: two servers touching the same
  conversation (the moment of a failover) can overwrite each other's tickets.

`FailoverRedisLockStore` keeps Rasa's tickets and their format, and changes two things:
a ticket's lifetime counts from the last moment its holder was alive (a waiter renews its
ticket on every look; the holder's ticket is renewed when it takes the lock), and every
change is one optimistic Redis transaction (`WATCH`/`MULTI`, retried on a conflict).
A dead holder's ticket therefore lapses `lifetime` seconds after it took the lock, and the
next waiter goes on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")


class FailoverRedisLockStore(RedisLockStore):  # type: ignore[misc]
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)

    # --- one transaction per change ----------------------------------------------------------

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Reads the lock, lets `change` alter it, writes it back (deleted when it holds no
        ticket), all inside one `WATCH`ed transaction."""
        key = self.key_prefix + conversation_id
        outcome: list[T] = []

        def transaction(pipe: Any) -> None:
            outcome.clear()
            stored = pipe.get(key)
            lock = TicketLock.from_dict(_json(stored)) if stored else TicketLock(conversation_id)
            outcome.append(change(lock))
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)

        self.red.transaction(transaction, key)
        return outcome[0]

    # --- Rasa's interface ----------------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._change(conversation_id, lambda lock: int(lock.issue_ticket(lock_lifetime)))

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(
                conversation_id, ticket, lock_lifetime, wait_time_in_seconds
            )
        finally:
            self.cleanup(conversation_id, ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: _drop(lock, ticket_number))

    # --- waiting ---------------------------------------------------------------------------------

    async def _wait_for_turn(
        self, conversation_id: str, ticket: int, lifetime: float, wait_seconds: float
    ) -> TicketLock:
        # wait at most half a lifetime between looks, so that a waiting ticket never lapses
        pause = min(wait_seconds, lifetime / 2)
        while True:
            lock, first = self._change(conversation_id, lambda lock: _look(lock, ticket, lifetime))
            if first:
                return lock
            await asyncio.sleep(pause)


def _look(lock: TicketLock, ticket: int, lifetime: float) -> tuple[TicketLock, bool]:
    """Drop lapsed tickets, renew this one (put back in its place if it lapsed during a stall)
    and tell whether it is first in line."""
    lock.remove_expired_tickets()
    renewed = Ticket(ticket, time.time() + lifetime)
    others = [t for t in lock.tickets if t.number != ticket]
    lock.tickets = deque(sorted([*others, renewed], key=lambda t: t.number))
    return lock, lock.tickets[0].number == ticket


def _drop(lock: TicketLock, ticket: int) -> None:
    lock.remove_expired_tickets()
    lock.tickets = deque(t for t in lock.tickets if t.number != ticket)


def _json(stored: bytes | str) -> dict[str, Any]:
    return dict(json.loads(stored))
