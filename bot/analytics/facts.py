"""What one fact says, as plain values: the cells a turn or a handoff event adds to.

Shared by the chat path (`recorder`), the backfill and the benchmark's synthetic year, so
that the three write exactly the same kind of cells.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from bot.analytics.models import ANY
from bot.analytics.periods import bucket_of, local, month_of


class Result(enum.StrEnum):
    ANSWERED = "answered"
    FALLBACK = "fallback"
    OUT_OF_SCOPE = "out_of_scope"
    NAVIGATION = "navigation"  # commands, pickers, media: answered by the app itself


class Event(enum.StrEnum):
    OFFERED = "offered"
    OPENED = "opened"
    QUEUED = "queued"
    TAKEN = "taken"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    RATED = "rated"
    SAFEGUARDING = "safeguarding"


# minutes, binned: one a minute for the first hour, then wider
MINUTE_BINS = (
    *range(60),
    *range(60, 120, 15),
    *range(120, 240, 30),
    *range(240, 480, 60),
    480,
    600,
    720,
    960,
    1440,
    2880,
    4320,
)


def minutes_bin(seconds: float) -> int:
    minutes = max(0.0, seconds) / 60
    return int(MINUTE_BINS[bisect.bisect_right(MINUTE_BINS, minutes) - 1])


def bin_upper(lower: int) -> int:
    index = MINUTE_BINS.index(lower)
    return MINUTE_BINS[index + 1] if index + 1 < len(MINUTE_BINS) else lower + 1440


def result_of(intent: str | None) -> Result:
    if intent is None:
        return Result.NAVIGATION
    if intent == "nlu_fallback":
        return Result.FALLBACK
    if intent == "out_of_scope":
        return Result.OUT_OF_SCOPE
    return Result.ANSWERED


@dataclass(frozen=True)
class Where:
    """Where and when a fact happened: all a fact knows of it."""

    moment: dt.datetime
    channel: str
    language: str
    city: str  # "" = not known

    @property
    def bucket(self) -> dt.date:
        return bucket_of(local(self.moment).date())

    def cell(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "channel": self.channel[:16],
            "language": self.language[:8],
            "city": self.city[:64],
        }

    def cube(self) -> list[dict[str, Any]]:
        """The fact's cell and its seven roll-ups, where channel, language, city or several
        of them are `*` (every value): a query reads the few cells it needs, never sums
        hundreds of thousands."""
        base = self.cell()
        return [
            {"bucket": base["bucket"], "channel": ch, "language": la, "city": ci}
            for ch in (base["channel"], ANY)
            for la in (base["language"], ANY)
            for ci in (base["city"], ANY)
        ]

    def hour_cells(self, *, turns: int = 0, queued: int = 0) -> list[dict[str, Any]]:
        moment = local(self.moment)
        return [
            {
                "month": month_of(moment.date()),
                "weekday": moment.weekday(),
                "hour": moment.hour,
                "language": la,
                "city": ci,
                "turns": turns,
                "queued": queued,
            }
            for la in (self.language[:8], ANY)
            for ci in (self.city[:64], ANY)
        ]

    def reach_cells(self) -> list[dict[str, Any]]:
        """The sketch cells of the person: the cube, for the week (grain `w`: the bucket),
        the month (`m`) and the year (`y`), so that a period reads one grain only."""
        bucket = self.bucket
        starts = {"w": bucket, "m": bucket.replace(day=1), "y": bucket.replace(month=1, day=1)}
        return [
            {**cell, "grain": grain, "bucket": start}
            for grain, start in starts.items()
            for cell in self.cube()
        ]


def turn_rows(where: Where, topic: str | None, result: Result) -> list[dict[str, Any]]:
    return [
        {**cell, "topic": topic or "", "result": result.value, "turns": 1} for cell in where.cube()
    ]


def handoff_rows(
    where: Where,
    event: Event,
    *,
    topic: str | None = None,
    reason: str = "",
    detail: str = "",
    rating: int = 0,
    minutes: int = -1,
) -> list[dict[str, Any]]:
    return [
        {
            **cell,
            "topic": topic or "",
            "reason": reason[:16],
            "event": event.value,
            "detail": detail[:32],
            "rating": rating,
            "minutes": minutes,
            "events": 1,
        }
        for cell in where.cube()
    ]
