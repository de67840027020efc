"""Several Rasa servers: each person goes to one of them, and to the next one while it is down.

Rasa Open Source's lock store does not stop two Rasa servers from taking the same
conversation at the same moment, so a person's messages must all reach the same server.
`RasaRing` orders the servers for a pseudonym by a consistent hash (each server owns many
points on a ring; a pseudonym goes to the first server clockwise, then the next distinct
ones): every app worker computes the same order without talking to the others, and adding
or removing a server moves only the people it owned. The tracker store is shared
(PostgreSQL in production), so the next server continues the conversation.

`ServerHealth` remembers a server that refused a connection for a few seconds, so that the
people it owned go straight to their next server instead of each waiting for a refusal.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Callable, Sequence

from prometheus_client import Counter, Histogram

POINTS_PER_SERVER = 64

RASA_SECONDS = Histogram(
    "assistant_rasa_seconds",
    "Time of one call to a Rasa server (seconds)",
    ["server"],
    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
)
RASA_ERRORS = Counter(
    "assistant_rasa_errors_total", "Calls to a Rasa server that failed", ["server"]
)
RASA_FAILOVERS = Counter(
    "assistant_rasa_failovers_total",
    "Messages sent to a person's next Rasa server because their own was down",
)


def _point(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


class RasaRing:
    """The servers in the order a pseudonym tries them (the same in every worker)."""

    def __init__(self, servers: Sequence[str]) -> None:
        if not servers:
            raise ValueError("at least one Rasa server is needed")
        self.servers = tuple(dict.fromkeys(url.rstrip("/") for url in servers))
        ring = sorted(
            (_point(f"{server}#{index}"), server)
            for server in self.servers
            for index in range(POINTS_PER_SERVER)
        )
        self._points = [point for point, _ in ring]
        self._owners = [server for _, server in ring]

    def preference(self, key: str) -> list[str]:
        """Every server once: the key's own first, then the next ones clockwise."""
        start = bisect.bisect(self._points, _point(key))
        order: list[str] = []
        for offset in range(len(self._owners)):
            server = self._owners[(start + offset) % len(self._owners)]
            if server not in order:
                order.append(server)
                if len(order) == len(self.servers):
                    break
        return order


class ServerHealth:
    """Servers that failed recently are tried last, until `down_seconds` have passed."""

    def __init__(self, down_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._down_seconds = down_seconds
        self._clock = clock
        self._down_until: dict[str, float] = {}

    def mark_down(self, server: str) -> None:
        self._down_until[server] = self._clock() + self._down_seconds

    def mark_up(self, server: str) -> None:
        self._down_until.pop(server, None)

    def is_up(self, server: str) -> bool:
        return self._down_until.get(server, 0.0) <= self._clock()

    def order(self, preference: list[str]) -> list[str]:
        """Servers believed up first (in preference order), then the others (maybe back)."""
        up = [server for server in preference if self.is_up(server)]
        return up + [server for server in preference if server not in up]
