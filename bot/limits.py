"""Rate limits: sliding windows of events, and counters with a memory of the last event.

`MemoryLimits` keeps them in the process (one app process: `make run`); the production
profile shares them between workers through Redis (`bot.shared.redis_limits`), with the same
interface. Keys never hold a person's identifier or a network address in clear: callers
pass pseudonyms or keyed hashes (`bot.pseudonym.tag`).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Streak:
    """Failures in a row for one key, and how long ago the last one happened (seconds)."""

    count: int
    age: float


class Limits(Protocol):
    async def take(self, key: str, limit: int, window_seconds: float) -> float:
        """Record one event if fewer than `limit` happened in the window: 0.0. Otherwise record
        nothing and return the seconds until one more is allowed."""

    async def count(self, key: str, window_seconds: float) -> int:
        """Events recorded in the window."""

    async def add(self, key: str, window_seconds: float) -> None:
        """Record one event, whatever the count."""

    async def streak(self, key: str) -> Streak:
        """The current streak of a key (count 0 when none)."""

    async def extend_streak(self, key: str, forget_after_seconds: float) -> Streak:
        """One more failure in a row; the streak is forgotten after a quiet period."""

    async def end_streak(self, key: str) -> None: ...


def retry_after(seconds: float) -> int:
    """Whole seconds for a Retry-After header (at least 1)."""
    return max(1, math.ceil(seconds))


class MemoryLimits:
    def __init__(self, clock: object = time.monotonic) -> None:
        self._now = clock
        self._events: dict[str, deque[float]] = {}
        self._streaks: dict[str, tuple[tuple[int, float], float]] = {}

    def _clock(self) -> float:
        return float(self._now())  # type: ignore[operator]

    def _window(self, key: str, window_seconds: float) -> deque[float]:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= window_seconds:
            events.popleft()
        if not events:
            self._events.pop(key, None)
            events = self._events.setdefault(key, deque())
        return events

    async def take(self, key: str, limit: int, window_seconds: float) -> float:
        events = self._window(key, window_seconds)
        if len(events) >= limit:
            return max(0.001, events[len(events) - limit] + window_seconds - self._clock())
        events.append(self._clock())
        return 0.0

    async def count(self, key: str, window_seconds: float) -> int:
        return len(self._window(key, window_seconds))

    async def add(self, key: str, window_seconds: float) -> None:
        self._window(key, window_seconds).append(self._clock())

    async def streak(self, key: str) -> Streak:
        now = self._clock()
        stored = self._streaks.get(key)
        if stored is None or now >= stored[1]:
            self._streaks.pop(key, None)
            return Streak(0, 0.0)
        count, last = stored[0]
        return Streak(count, now - last)

    async def extend_streak(self, key: str, forget_after_seconds: float) -> Streak:
        now = self._clock()
        current = await self.streak(key)
        self._streaks[key] = ((current.count + 1, now), now + forget_after_seconds)
        return Streak(current.count + 1, 0.0)

    async def end_streak(self, key: str) -> None:
        self._streaks.pop(key, None)
