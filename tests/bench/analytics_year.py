"""A synthetic year of a national deployment, written as the statistics' cells.

Turns, people and cases are drawn with numpy (skewed like a real service: a few languages
and cities carry most of the traffic, days and hours have their rhythm), then aggregated
into the same cells, roll-ups and sketches the chat path writes (`bot.analytics.facts`),
and written in bulk: COPY on PostgreSQL, one executemany per table on SQLite. Not part of
`make test`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import itertools
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg2

from bot.analytics.facts import MINUTE_BINS, Event
from bot.analytics.models import ANY
from bot.analytics.periods import bucket_of
from bot.analytics.reach import PRECISION
from bot.i18n import SUPPORTED_LANGUAGES
from bot.settings import to_sync_url

CHANNELS = ("telegram", "web")
TOPICS = ("job", "housing", "course", "desk", "")
RESULTS = ("answered", "navigation", "fallback", "out_of_scope")
OUTCOMES = ("resolved", "referred", "no_answer", "left")
REASONS = ("requested", "not_understood", "safeguarding", "")
EVENTS = tuple(e.value for e in Event)
Dim = tuple[np.ndarray, Sequence[Any]]  # codes, and the label of each code


@dataclass(frozen=True)
class YearSize:
    turns: int = 5_000_000
    people: int = 600_000
    cases: int = 100_000


def _zipf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


def _day_weights(days: list[dt.date]) -> np.ndarray:
    weights = np.array(
        [(0.6 if d.weekday() >= 5 else 1.0) * (0.7 if d.month == 8 else 1.0) for d in days]
    )
    return weights / weights.sum()


def _hour_weights() -> np.ndarray:
    hours = np.arange(24)
    weights = 0.05 + np.exp(-((hours - 11) ** 2) / 8) + 0.8 * np.exp(-((hours - 17) ** 2) / 6)
    return weights / weights.sum()


def cube(
    dims: Sequence[Dim], rolled: Sequence[int], weights: np.ndarray | None = None
) -> list[tuple[Any, ...]]:
    """Counts per combination of the dims' values, and per roll-up where the dims in
    `rolled` are `*`: the rows (labels…, count), as the writer's cells add up."""
    rows: list[tuple[Any, ...]] = []
    for mask in itertools.product((False, True), repeat=len(rolled)):
        wild = {d for d, w in zip(rolled, mask, strict=True) if w}
        key = np.zeros(len(dims[0][0]), dtype=np.int64)
        for index, (codes, labels) in enumerate(dims):
            column = np.full(len(codes), len(labels)) if index in wild else codes
            key = key * (len(labels) + 1) + column
        keys, inverse = np.unique(key, return_inverse=True)
        counts = np.bincount(inverse, weights=weights).astype(np.int64)
        for k, count in zip(keys.tolist(), counts.tolist(), strict=True):
            labels_out = []
            for _codes, labels in reversed(dims):
                code = k % (len(labels) + 1)
                k //= len(labels) + 1
                labels_out.append(ANY if code == len(labels) else labels[code])
            if count:
                rows.append((*reversed(labels_out), count))
    return rows


def _register_rank(salt: bytes, people: int) -> tuple[np.ndarray, np.ndarray]:
    registers = np.empty(people, dtype=np.int64)
    ranks = np.empty(people, dtype=np.int64)
    rest_bits = 64 - PRECISION
    for person in range(people):
        digest = hmac.new(salt, f"synthetic-{person}".encode(), hashlib.sha256).digest()
        value = int.from_bytes(digest[:8], "big")
        registers[person] = value >> rest_bits
        ranks[person] = rest_bits - (value & ((1 << rest_bits) - 1)).bit_length() + 1
    return registers, ranks


@dataclass
class People:
    language: np.ndarray
    city: np.ndarray
    channel: np.ndarray
    activity: np.ndarray


def generate(
    year: int, cities: list[str], size: YearSize, seed: int = 2026
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each statistics table for a synthetic `year`."""
    rng = np.random.default_rng(seed)
    languages = list(SUPPORTED_LANGUAGES)
    first, last = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days)]
    buckets = sorted({bucket_of(d) for d in days})
    day_bucket = np.array([buckets.index(bucket_of(d)) for d in days])
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    day_month = np.array([d.month - 1 for d in days])
    day_weekday = np.array([d.weekday() for d in days])
    people = People(
        rng.choice(len(languages), size.people, p=_zipf(len(languages), 0.9)),
        rng.choice(len(cities), size.people, p=_zipf(len(cities), 0.8)),
        rng.choice(2, size.people, p=[0.75, 0.25]),
        rng.lognormal(0, 1.0, size.people),
    )
    person = rng.choice(size.people, size.turns, p=people.activity / people.activity.sum())
    day = rng.choice(len(days), size.turns, p=_day_weights(days))
    hour = rng.choice(24, size.turns, p=_hour_weights())
    result = rng.choice(len(RESULTS), size.turns, p=[0.78, 0.10, 0.08, 0.04])
    topic = rng.choice(len(TOPICS), size.turns, p=[0.32, 0.24, 0.14, 0.12, 0.18])
    topic[result >= 2] = len(TOPICS) - 1  # not understood: no topic
    where: list[Dim] = [
        (day_bucket[day], buckets),
        (people.channel[person], CHANNELS),
        (people.language[person], languages),
        (people.city[person], cities),
    ]
    rows = {"stat_turn": cube([*where, (topic, TOPICS), (result, RESULTS)], (1, 2, 3))}
    handoffs, case_hours = _cases(rng, size, people, days, day_bucket, buckets, languages, cities)
    rows["stat_handoff"] = handoffs
    turn_hours = cube(
        [
            (day_month[day], months),
            (day_weekday[day], range(7)),
            (hour, range(24)),
            (people.language[person], languages),
            (people.city[person], cities),
        ],
        (3, 4),
    )
    queued = {row[:-1]: row[-1] for row in case_hours}
    turns = {row[:-1]: row[-1] for row in turn_hours}
    rows["stat_hour"] = [
        (*key, turns.get(key, 0), queued.get(key, 0)) for key in set(turns) | set(queued)
    ]
    rows["stat_reach"] = _reach(
        person, day, day_bucket, day_month, people, buckets, months, year, languages, cities
    )
    return rows


def _reach(
    person: np.ndarray,
    day: np.ndarray,
    day_bucket: np.ndarray,
    day_month: np.ndarray,
    people: People,
    buckets: list[dt.date],
    months: list[dt.date],
    year: int,
    languages: list[str],
    cities: list[str],
) -> list[tuple[Any, ...]]:
    salt = hashlib.sha256(f"synthetic salt {year}".encode()).digest()
    registers, ranks = _register_rank(salt, len(people.language))
    grains = {
        "w": (day_bucket[day], buckets),
        "m": (day_month[day], months),
        "y": (np.zeros(len(day), dtype=np.int64), [dt.date(year, 1, 1)]),
    }
    out: list[tuple[Any, ...]] = []
    for grain, (unit, starts) in grains.items():
        pairs = np.unique(person.astype(np.int64) * len(starts) + unit)
        who, when = pairs // len(starts), pairs % len(starts)
        dims: list[Dim] = [
            (when, starts),
            (people.channel[who], CHANNELS),
            (people.language[who], languages),
            (people.city[who], cities),
            (registers[who], range(1 << PRECISION)),
        ]
        out += _max_rank(dims, ranks[who], grain)
    return out


def _max_rank(dims: Sequence[Dim], rank: np.ndarray, grain: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for mask in itertools.product((False, True), repeat=3):
        wild = {d for d, w in zip((1, 2, 3), mask, strict=True) if w}
        key = np.zeros(len(rank), dtype=np.int64)
        for index, (codes, labels) in enumerate(dims):
            column = np.full(len(codes), len(labels)) if index in wild else codes
            key = key * (len(labels) + 1) + column
        order = np.argsort(key, kind="stable")
        key, ordered = key[order], rank[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        best = np.maximum.reduceat(ordered, starts)
        for k, r in zip(key[starts].tolist(), best.tolist(), strict=True):
            labels_out = []
            for _codes, labels in reversed(dims):
                code = k % (len(labels) + 1)
                k //= len(labels) + 1
                labels_out.append(ANY if code == len(labels) else labels[code])
            rows.append((grain, *reversed(labels_out), r))
    return rows


def _bin(minutes: np.ndarray) -> np.ndarray:
    bins = np.array(MINUTE_BINS)
    return bins[np.searchsorted(bins, minutes, side="right") - 1]


def _cases(
    rng: Any,
    size: YearSize,
    people: People,
    days: list[dt.date],
    day_bucket: np.ndarray,
    buckets: list[dt.date],
    languages: list[str],
    cities: list[str],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The handoff cells of the cases (every event), and the hours they were queued."""
    n = size.cases
    who = rng.choice(len(people.language), n, p=people.activity / people.activity.sum())
    day = rng.choice(len(days), n, p=_day_weights(days))
    hour = rng.choice(24, n, p=_hour_weights())
    topic = rng.choice(len(TOPICS), n, p=[0.3, 0.3, 0.1, 0.1, 0.2])
    reason = rng.choice(3, n, p=[0.8, 0.17, 0.03])
    wait = _bin(rng.lognormal(np.log(6), 1.0, n))
    handling = _bin(rng.lognormal(np.log(20), 0.8, n))
    taken = rng.random(n) < 0.92
    outcome = np.where(taken, rng.choice(len(OUTCOMES), n, p=[0.6, 0.25, 0.1, 0.05]), 3)
    rating = np.where(rng.random(n) < 0.55, rng.choice(5, n, p=[0.04, 0.05, 0.11, 0.3, 0.5]) + 1, 0)
    details = ("", *OUTCOMES)
    bins = sorted({-1, *MINUTE_BINS})
    events: list[tuple[np.ndarray, ...] | Any] = []
    none, zero = np.full(n, -1), np.zeros(n, dtype=np.int64)
    everyone = np.ones(n, dtype=bool)
    no_topic, no_reason = np.full(n, len(TOPICS) - 1), np.full(n, len(REASONS) - 1)
    for event, mask, detail, stars, minutes in (
        (Event.OFFERED, everyone, zero, zero, none),
        (Event.OPENED, everyone, zero, zero, none),
        (Event.QUEUED, everyone, zero, zero, none),
        (Event.TAKEN, taken, zero, zero, wait),
        (Event.CLOSED, everyone, outcome + 1, zero, np.where(taken, handling, -1)),
        (Event.RATED, taken & (rating > 0), zero, rating, none),
    ):
        plain = event in (Event.OFFERED, Event.OPENED, Event.QUEUED)
        events.append(
            (
                mask,
                EVENTS.index(event.value),
                detail,
                stars,
                minutes,
                topic if plain else no_topic,
                reason if plain else no_reason,
            )
        )
    dims: list[list[np.ndarray]] = [[] for _ in range(10)]
    for mask, event_code, detail, stars, minutes, topics, reasons in events:
        index = np.flatnonzero(mask)
        p = who[index]
        for column, values in enumerate(
            (
                day_bucket[day[index]],
                people.channel[p],
                people.language[p],
                people.city[p],
                topics[index],
                reasons[index],
                np.full(len(index), event_code),
                detail[index],
                stars[index],
                np.searchsorted(bins, minutes[index]),
            )
        ):
            dims[column].append(values)
    labels: list[Sequence[Any]] = [
        buckets,
        CHANNELS,
        languages,
        cities,
        TOPICS,
        REASONS,
        EVENTS,
        details,
        range(6),
        bins,
    ]
    handoffs = cube(
        [(np.concatenate(d), lab) for d, lab in zip(dims, labels, strict=True)], (1, 2, 3)
    )
    queued = cube(
        [
            (
                np.array([days[d].month - 1 for d in day]),
                [dt.date(days[0].year, m, 1) for m in range(1, 13)],
            ),
            (np.array([days[d].weekday() for d in day]), range(7)),
            (hour, range(24)),
            (people.language[who], languages),
            (people.city[who], cities),
        ],
        (3, 4),
    )
    return handoffs, queued


COLUMNS = {
    "stat_turn": ("bucket", "channel", "language", "city", "topic", "result", "turns"),
    "stat_hour": ("month", "weekday", "hour", "language", "city", "turns", "queued"),
    "stat_reach": ("grain", "bucket", "channel", "language", "city", "register", "rank"),
    "stat_handoff": (
        "bucket",
        "channel",
        "language",
        "city",
        "topic",
        "reason",
        "event",
        "detail",
        "rating",
        "minutes",
        "events",
    ),
}


def write(database_url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Bulk-write the rows (the statistics tables are expected empty)."""
    url = to_sync_url(database_url)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split(":///", 1)[1])
        with connection:
            for table, columns in COLUMNS.items():
                marks = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    (
                        tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row)
                        for row in rows[table]
                    ),
                )
            connection.execute("INSERT OR REPLACE INTO stat_mark (name) VALUES ('backfill')")
        connection.execute("ANALYZE")
        connection.close()
        return
    connection = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    with connection, connection.cursor() as cursor:
        for table, columns in COLUMNS.items():
            buffer = io.StringIO()
            for row in rows[table]:
                buffer.write("\t".join(str(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        cursor.execute("INSERT INTO stat_mark (name) VALUES ('backfill') ON CONFLICT DO NOTHING")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()


__all__ = ["Counter", "YearSize", "generate", "write"]
