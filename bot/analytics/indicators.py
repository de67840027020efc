"""The indicators, read from the cells with the filters of a page or a report.

Every query is an aggregate over the cells of the period's buckets: its cost grows with
the number of cells (cities × languages × channels × topics × results × weeks), not with
the number of messages. People reached are counted from the sketches in SQL: the number
of non-zero registers and the sum of 2^-rank, per group (after a MAX per register when
several cities are merged).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics.facts import Event, Result, bin_upper
from bot.analytics.models import ANY, HandoffCell, HourCell, ReachRegister, TurnCell
from bot.analytics.periods import Period, week_of
from bot.analytics.reach import estimate_from
from bot.core.messages import Channel
from bot.i18n import SUPPORTED_LANGUAGES

# every value a channel or a language cell can hold ("": not known, from the backfill)
KNOWN_VALUES = {"channel": (*(c.value for c in Channel), ""), "language": SUPPORTED_LANGUAGES}


@dataclass(frozen=True)
class Filters:
    """What a page or a report shows. `cities`: the cities allowed (None: every city, and
    facts of no known city too); the server sets it from the staff member's account."""

    period: Period
    cities: frozenset[str] | None = None
    language: str = ""
    channel: str = ""


def _where(
    model: Any, filters: Filters, grouped: Sequence[str] = (), *, time: Any = None
) -> list[ColumnElement[bool]]:
    """The period, and the cube cells to read: in each of channel, language and city, the
    filter's value, or `*` (every value) unless the query groups by that dimension."""
    column = time if time is not None else model.bucket
    conditions = [column >= filters.period.start, column < filters.period.end]
    chosen = {"channel": filters.channel, "language": filters.language}
    for name, value in chosen.items():
        if hasattr(model, name):
            dimension = getattr(model, name)
            if value:
                conditions.append(dimension == value)
            elif name in grouped:  # a list, not "≠ *": the index seeks each value
                conditions.append(dimension.in_(KNOWN_VALUES[name]))
            else:
                conditions.append(dimension == ANY)
    if filters.cities is not None:  # the cities are disjoint: their cells add up
        conditions.append(model.city.in_(sorted(filters.cities)))
    else:
        conditions.append(model.city != ANY if "city" in grouped else model.city == ANY)
    return conditions


# --- people reached ---------------------------------------------------------------------


def grain_of(period: Period, *, weekly: bool = False) -> str:
    if weekly:
        return "w"
    whole_years = period.start.month == 1 and period.end.month == 1 and period.end.day == 1
    return "y" if whole_years and period.start.day == 1 else "m"


def _reach_cells(
    filters: Filters, grouped: str = "", *, weekly: bool = False
) -> list[ColumnElement[bool]]:
    """The sketch cells to merge: the grain of the period (the weeks' buckets for a weekly
    chart), and the filter's value (or `*`) in each dimension but `grouped`."""
    r = ReachRegister
    return [r.grain == grain_of(filters.period, weekly=weekly), *_where(r, filters, (grouped,))]


def _inverse_power(rank: Any) -> Any:
    return literal(1.0) / cast(literal(1), BigInteger).op("<<")(rank)


async def _people_by(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    group: Sequence[Any],
    *,
    merge: bool = True,
) -> dict[tuple[Any, ...], int]:
    """People per group: the union of the sketches of the cells matching `conditions`
    (`merge=False`: one cell per group, its registers are read as they are)."""
    r = ReachRegister
    if merge:
        source = (
            select(*group, r.register, func.max(r.rank).label("rank"))
            .where(*conditions)
            .group_by(*group, r.register)
            .subquery()
        )
        keys: list[Any] = [source.c[column.key] for column in group]
        rank: Any = source.c.rank
        query = select(*keys, func.count(), func.sum(_inverse_power(rank))).group_by(*keys)
    else:
        query = (
            select(*group, func.count(), func.sum(_inverse_power(r.rank)))
            .where(*conditions)
            .group_by(*group)
        )
    result = {}
    for row in await session.execute(query):
        *key, nonzero, partial = row
        result[tuple(key)] = _people_from(int(nonzero), float(partial or 0.0))
    return result


def _one_cell_per_group(filters: Filters, grouped: str = "", *, weekly: bool = False) -> bool:
    """True when each group reads one cell: one grain unit (a year, or weekly buckets) and
    at most one city unless grouped by city."""
    single_unit = weekly or (
        grain_of(filters.period) == "y" and filters.period.years() == [filters.period.start.year]
    )
    one_city = filters.cities is None or len(filters.cities) == 1 or grouped == "city"
    return single_unit and one_city


def _people_from(nonzero: int, partial_sum: float) -> int:
    return round(estimate_from(nonzero, partial_sum))


async def people_total(session: AsyncSession, filters: Filters) -> int:
    merge = not _one_cell_per_group(filters)
    found = await _people_by(session, _reach_cells(filters), [], merge=merge)
    return found.get((), 0)


async def people_per_bucket(session: AsyncSession, filters: Filters) -> dict[dt.date, int]:
    conditions = _reach_cells(filters, weekly=True)
    merge = not _one_cell_per_group(filters, weekly=True)
    found = await _people_by(session, conditions, [ReachRegister.bucket], merge=merge)
    return {key[0]: value for key, value in found.items()}


async def people_per(session: AsyncSession, filters: Filters, dimension: str) -> dict[str, int]:
    """People reached per channel, language or city (a person in two is in both)."""
    column = getattr(ReachRegister, dimension)
    merge = not _one_cell_per_group(filters, dimension)
    found = await _people_by(session, _reach_cells(filters, dimension), [column], merge=merge)
    return {key[0]: value for key, value in found.items()}


# --- contacts (assistant turns) ---------------------------------------------------------


async def _sums(session: AsyncSession, query: Select[Any] | Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await session.execute(query)]


async def turns_by(
    session: AsyncSession, filters: Filters, *columns: str
) -> dict[tuple[Any, ...], int]:
    t = TurnCell
    group = [getattr(t, name) for name in columns]
    query = select(*group, func.sum(t.turns)).where(*_where(t, filters, columns)).group_by(*group)
    return {tuple(row[:-1]): int(row[-1]) for row in await _sums(session, query)}


def per_week(by_bucket: dict[dt.date, int]) -> dict[dt.date, int]:
    weeks: dict[dt.date, int] = defaultdict(int)
    for bucket, count in by_bucket.items():
        weeks[week_of(bucket)] += count
    return dict(sorted(weeks.items()))


async def weekly_turns_and_results(
    session: AsyncSession, filters: Filters
) -> dict[dt.date, dict[str, int]]:
    """Per week: turns by result (answered, fallback, out of scope, navigation)."""
    found = await turns_by(session, filters, "bucket", "result")
    weeks: dict[dt.date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Result, 0))
    for (bucket, result), count in found.items():
        weeks[week_of(bucket)][result] = weeks[week_of(bucket)].get(result, 0) + count
    return dict(sorted(weeks.items()))


# --- handoffs ---------------------------------------------------------------------------


async def handoffs_by(
    session: AsyncSession, filters: Filters, event: Event, *columns: str
) -> dict[tuple[Any, ...], int]:
    h = HandoffCell
    group = [getattr(h, name) for name in columns]
    query = (
        select(*group, func.sum(h.events))
        .where(*_where(h, filters, columns), h.event == event.value)
        .group_by(*group)
    )
    return {tuple(row[:-1]): int(row[-1]) for row in await _sums(session, query)}


@dataclass(frozen=True)
class WaitStats:
    cases: int
    mean_minutes: float
    p50_minutes: float
    p90_minutes: float


def wait_stats(histogram: dict[int, int]) -> WaitStats | None:
    """Mean and percentiles from a histogram of minute bins (linear within a bin)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    bins = sorted(histogram)
    mean = sum((b + bin_upper(b)) / 2 * histogram[b] for b in bins) / total

    def quantile(q: float) -> float:
        target = q * total
        seen = 0
        for b in bins:
            count = histogram[b]
            if seen + count >= target:
                return b + (bin_upper(b) - b) * ((target - seen) / count)
            seen += count
        return float(bins[-1])

    return WaitStats(total, mean, quantile(0.5), quantile(0.9))


async def waits_by_language(session: AsyncSession, filters: Filters) -> dict[str, WaitStats]:
    found = await handoffs_by(session, filters, Event.TAKEN, "language", "minutes")
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    for (language, minutes), count in found.items():
        if minutes >= 0:
            histograms[language][minutes] = count
    return {
        language: stats
        for language, histogram in sorted(histograms.items())
        if (stats := wait_stats(histogram)) is not None
    }


async def wait_overall(session: AsyncSession, filters: Filters) -> WaitStats | None:
    found = await handoffs_by(session, filters, Event.TAKEN, "minutes")
    return wait_stats({m: c for (m,), c in found.items() if m >= 0})


# --- hours of the week ------------------------------------------------------------------


async def hours_of_week(
    session: AsyncSession, filters: Filters
) -> dict[tuple[int, int], tuple[int, int]]:
    """(weekday, hour) → (turns, handoffs queued); the channel filter does not apply."""
    h = HourCell
    query = (
        select(h.weekday, h.hour, func.sum(h.turns), func.sum(h.queued))
        .where(*_where(h, filters, time=h.month))
        .group_by(h.weekday, h.hour)
    )
    return {(w, hr): (int(t), int(q)) for w, hr, t, q in await _sums(session, query)}
