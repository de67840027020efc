"""Live updates for the web console: who is watching which case, and the queue."""

from __future__ import annotations

import asyncio

QUEUE = 0  # subscribers to every case's changes (the queue page)


class CaseEvents:
    """In-process fan-out of "case N changed". One app process per deployment (see README)."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[int]]] = {}

    def subscribe(self, case_id: int = QUEUE) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=100)
        self._subscribers.setdefault(case_id, set()).add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[int], case_id: int = QUEUE) -> None:
        self._subscribers.get(case_id, set()).discard(queue)

    async def publish(self, case_id: int) -> None:
        for key in (case_id, QUEUE):
            for queue in self._subscribers.get(key, set()):
                if not queue.full():
                    queue.put_nowait(case_id)
