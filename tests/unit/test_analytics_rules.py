"""Rules of the statistics, without a database: suppression, the people-reached sketch,
time buckets, wait percentiles."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.analytics.facts import minutes_bin
from bot.analytics.indicators import wait_stats
from bot.analytics.periods import Period, bucket_of, week_of
from bot.analytics.reach import REGISTERS, estimate, register_and_rank
from bot.analytics.suppression import SMALL, WITHHELD, Mark, Table, recomputable, suppress


def random_table(rng: random.Random) -> Table:
    rows, columns = rng.randint(1, 6), rng.randint(1, 5)
    values = [
        [rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 13, 40]) for _ in range(columns)] for _ in range(rows)
    ]
    return Table.with_totals(
        [f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], values, "T"
    )


def test_no_small_count_can_be_worked_out_from_a_suppressed_table() -> None:
    rng = random.Random(14)
    for _ in range(60):
        table = suppress(random_table(rng))
        small = [
            (i, j)
            for i, row in enumerate(table.marks)
            for j, m in enumerate(row)
            if m == Mark.SMALL
        ]
        for i, row in enumerate(table.values):
            for j, value in enumerate(row):
                assert (table.display(i, j) == SMALL) == (0 < value < 5)
        assert not any(recomputable(table, cell) for cell in small)
        for line in table.lines():  # never a single hidden cell in a row or column
            assert sum(1 for i, j in line if table.marks[i][j] != Mark.SHOWN) != 1


def test_a_lone_small_count_takes_its_neighbour_with_it() -> None:
    table = suppress(Table.with_totals(["Torino", "Genova"], ["n"], [[8], [2]], "Totale"))
    assert [table.display(i, 0) for i in range(3)] == [WITHHELD, SMALL, 10]


def test_the_sketch_counts_people_within_its_error() -> None:
    salt = b"a year's salt"
    for people in (3, 40, 1_000, 50_000):
        registers: dict[int, int] = {}
        for n in range(people):
            register, rank = register_and_rank(salt, f"person-{n}")
            registers[register] = max(registers.get(register, 0), rank)
        found = estimate(registers.values())
        error = 1.04 / REGISTERS**0.5
        assert abs(found - people) <= max(1.0, 3 * error * people), (people, found)


def test_the_same_person_twice_is_one_person() -> None:
    salt = b"salt"
    assert register_and_rank(salt, "p") == register_and_rank(salt, "p")
    assert register_and_rank(salt, "p") != register_and_rank(b"another year's salt", "p")


def test_buckets_are_weeks_cut_at_the_start_of_a_month() -> None:
    assert bucket_of(dt.date(2026, 12, 3)) == dt.date(2026, 12, 1)  # Thursday: Monday was Nov 30
    assert bucket_of(dt.date(2026, 12, 9)) == dt.date(2026, 12, 7)
    assert week_of(dt.date(2026, 12, 1)) == dt.date(2026, 11, 30)
    period = Period.parse("2026-01", "2026-03")
    assert (period.start, period.end) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    with pytest.raises(ValueError):
        Period.parse("2026-05", "2026-01")


def test_waits_from_minute_bins() -> None:
    histogram: dict[int, int] = {}
    for seconds in (60 * 7 + 10, 60 * 30 + 10, 60 * 30 + 50):
        histogram[minutes_bin(seconds)] = histogram.get(minutes_bin(seconds), 0) + 1
    stats = wait_stats(histogram)
    assert stats is not None and stats.cases == 3
    assert stats.mean_minutes == pytest.approx((7.5 + 30.5 + 30.5) / 3)
    assert 30 <= stats.p90_minutes <= 31
    assert wait_stats({}) is None
