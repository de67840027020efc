"""Live updates for the web console: who is watching which case, and the queue.

`CaseEvents` fans "case N changed" out to the sockets of this process. With several app
workers, `bot.shared.live_events.RedisCaseEvents` publishes through Redis instead, and every
worker delivers what any worker published to its own sockets.
"""

from __future__ import annotations

import asyncio

QUEUE = 0  # subscribers to every case's changes (the queue page)


class CaseEvents:
    """In-process fan-out of "case N changed" (one app process: `make run`)."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[int]]] = {}

    def subscribe(self, case_id: int = QUEUE) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=100)
        self._subscribers.setdefault(case_id, set()).add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[int], case_id: int = QUEUE) -> None:
        self._subscribers.get(case_id, set()).discard(queue)

    async def publish(self, case_id: int) -> None:
        self.deliver(case_id)

    def deliver(self, case_id: int) -> None:
        """Tell this process's subscribers of the case and of the queue."""
        for key in (case_id, QUEUE):
            for queue in self._subscribers.get(key, set()):
                if not queue.full():
                    queue.put_nowait(case_id)

    def deliver_to_all(self) -> None:
        """Wake every subscriber (they re-read the database): after events may have been lost."""
        for case_id, queues in self._subscribers.items():
            for queue in queues:
                if not queue.full():
                    queue.put_nowait(case_id)
