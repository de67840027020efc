"""Time in the statistics: Italian local time, weeks cut at month ends, periods of months.

A fact keeps only its *bucket*: the Monday of its week, or the first of the month when the
week began in the month before. Months, quarters and years are therefore exact unions of
buckets, and the finest date a fact carries is a span of up to seven days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ITALY = ZoneInfo("Europe/Rome")


def local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ITALY)


def bucket_of(day: dt.date) -> dt.date:
    monday = day - dt.timedelta(days=day.weekday())
    return max(monday, day.replace(day=1))


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def week_of(bucket: dt.date) -> dt.date:
    """The Monday of a bucket's week (a bucket cut at a month's start joins its week)."""
    return bucket - dt.timedelta(days=bucket.weekday())


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Period:
    """Whole months: from the first of `start` to the day before `end` (exclusive)."""

    start: dt.date
    end: dt.date

    @classmethod
    def months(cls, first: dt.date, last: dt.date) -> Period:
        if last < first:
            raise ValueError("the period ends before it starts")
        return cls(month_of(first), next_month(month_of(last)))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    @classmethod
    def parse(cls, first: str, last: str) -> Period:
        """From "YYYY-MM" strings (a form's month fields); ValueError if they are not."""
        return cls.months(_month(first), _month(last))

    @property
    def last_month(self) -> dt.date:
        return month_of(self.end - dt.timedelta(days=1))

    def label(self) -> str:
        return f"{self.start:%Y-%m} – {self.last_month:%Y-%m}"

    def years(self) -> list[int]:
        return list(range(self.start.year, self.last_month.year + 1))


def _month(text: str) -> dt.date:
    return dt.datetime.strptime(text.strip()[:7], "%Y-%m").date()


def last_twelve_months(today: dt.date) -> Period:
    first = month_of(today)
    for _ in range(11):
        first = month_of(first - dt.timedelta(days=1))
    return Period.months(first, today)
