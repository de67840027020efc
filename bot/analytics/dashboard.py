"""The dashboard's charts, each with the table of its numbers (the page shows both)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics import charts
from bot.analytics import indicators as ind
from bot.analytics.facts import Event, Result
from bot.analytics.report import RESULT_LABELS, TOPIC_LABELS, Labels
from bot.handoff.routing import duty_slots
from bot.i18n import N_
from bot.staff.models import Role, StaffAccount

Cell = str | int | float


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    image: str  # a data: URI of the SVG
    headers: list[str]
    rows: list[list[Cell]]


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


async def charts_for(session: AsyncSession, filters: ind.Filters, labels: Labels) -> list[Chart]:
    return [
        await _weekly(session, filters, labels),
        await _topics_by_city(session, filters, labels),
        await _languages(session, filters, labels),
        await _unanswered_rate(session, filters, labels),
        await _handoffs(session, filters, labels),
        await _outcomes(session, filters, labels),
        await _ratings(session, filters, labels),
        await _hours(session, filters, labels),
    ]


async def _weekly(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    turns = ind.per_week(_flat(await ind.turns_by(session, filters, "bucket")))
    people = await ind.people_per_bucket(session, filters)
    people_weeks: dict[dt.date, int] = defaultdict(int)
    for bucket, count in people.items():
        # a week cut by a month's start has two sketches: their sum may count a person twice
        people_weeks[bucket - dt.timedelta(days=bucket.weekday())] += count
    weeks = sorted(set(turns) | set(people_weeks))
    names = [f"{w:%d/%m/%y}" for w in weeks]
    contacts, persons = labels(N_("contacts")), labels(N_("people"))
    return Chart(
        "weekly",
        labels(N_("Conversations and people per week")),
        charts.line(
            names,
            [
                (contacts, [turns.get(w, 0) for w in weeks]),
                (persons, [people_weeks.get(w, 0) for w in weeks]),
            ],
        ),
        [labels(N_("week")), contacts, persons],
        [[n, turns.get(w, 0), people_weeks.get(w, 0)] for n, w in zip(names, weeks, strict=True)],
    )


def _flat(found: dict[tuple[object, ...], int]) -> dict[dt.date, int]:
    return {key[0]: value for key, value in found.items()}  # type: ignore[misc]


async def _topics_by_city(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    found = await ind.turns_by(session, filters, "city", "topic")
    cities = sorted({c for c, _ in found}, key=labels.city)
    topics = [t for t in TOPIC_LABELS if any(k[1] == t for k in found)]
    series = [(labels.topic(t), [found.get((c, t), 0) for c in cities]) for t in topics]
    return Chart(
        "topics",
        labels(N_("Topics by city")),
        charts.bars([labels.city(c) for c in cities], series, stacked=True),
        [labels(N_("city")), *(labels.topic(t) for t in topics)],
        [[labels.city(c), *(found.get((c, t), 0) for t in topics)] for c in cities],
    )


async def _languages(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    turns = {k[0]: v for k, v in (await ind.turns_by(session, filters, "language")).items()}
    people = await ind.people_per(session, filters, "language")
    languages = sorted(set(turns) | set(people), key=lambda la: -turns.get(la, 0))
    names = [labels.language(la) for la in languages]
    contacts, persons = labels(N_("contacts")), labels(N_("people"))
    return Chart(
        "languages",
        labels(N_("Languages")),
        charts.bars(
            names,
            [
                (contacts, [turns.get(la, 0) for la in languages]),
                (persons, [people.get(la, 0) for la in languages]),
            ],
        ),
        [labels(N_("language")), contacts, persons],
        [[n, turns.get(la, 0), people.get(la, 0)] for n, la in zip(names, languages, strict=True)],
    )


async def _unanswered_rate(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    weeks = await ind.weekly_turns_and_results(session, filters)
    names = [f"{w:%d/%m/%y}" for w in weeks]
    shown = (Result.FALLBACK, Result.OUT_OF_SCOPE)
    rates = {
        r: [_pct(counts.get(r, 0), sum(counts.values())) for counts in weeks.values()]
        for r in shown
    }
    return Chart(
        "unanswered",
        labels(N_("Not understood and out of scope, share of contacts")),
        charts.line(names, [(labels(RESULT_LABELS[r]), rates[r]) for r in shown], percent=True),
        [
            labels(N_("week")),
            labels(N_("contacts")),
            *(labels(RESULT_LABELS[r]) + " %" for r in shown),
        ],
        [
            [n, sum(counts.values()), *(rates[r][i] for r in shown)]
            for i, (n, counts) in enumerate(zip(names, weeks.values(), strict=True))
        ],
    )


async def _handoffs(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    waits = await ind.waits_by_language(session, filters)
    offered = {
        k[0]: v
        for k, v in (await ind.handoffs_by(session, filters, Event.OFFERED, "language")).items()
    }
    languages = sorted(set(waits) | set(offered), key=labels.language)
    names = [labels.language(la) for la in languages]
    p50, p90 = labels(N_("wait p50 (min)")), labels(N_("wait p90 (min)"))

    def stat(language: str, name: str) -> float:
        found = waits.get(language)
        return round(getattr(found, name), 1) if found else 0.0

    return Chart(
        "handoffs",
        labels(N_("Handoffs to a mediator per language, with the wait")),
        charts.bars(
            names,
            [
                (p50, [stat(la, "p50_minutes") for la in languages]),
                (p90, [stat(la, "p90_minutes") for la in languages]),
            ],
        ),
        [labels(N_("language")), labels(N_("offered")), labels(N_("taken in charge")), p50, p90],
        [
            [
                n,
                offered.get(la, 0),
                waits[la].cases if la in waits else 0,
                stat(la, "p50_minutes"),
                stat(la, "p90_minutes"),
            ]
            for n, la in zip(names, languages, strict=True)
        ],
    )


async def _outcomes(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    found = {
        k[0]: v
        for k, v in (await ind.handoffs_by(session, filters, Event.CLOSED, "detail")).items()
    }
    names = sorted(found, key=lambda o: -found[o])
    cases = labels(N_("cases"))
    return Chart(
        "outcomes",
        labels(N_("Outcomes of the cases")),
        charts.bars(names, [(cases, [found[o] for o in names])]),
        [labels(N_("outcome")), cases],
        [[o, found[o]] for o in names],
    )


async def _ratings(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    found = {
        k[0]: v for k, v in (await ind.handoffs_by(session, filters, Event.RATED, "rating")).items()
    }
    stars = list(range(1, 6))
    ratings = labels(N_("ratings"))
    return Chart(
        "ratings",
        labels(N_("Ratings")),
        charts.bars([f"{s} ★" for s in stars], [(ratings, [found.get(s, 0) for s in stars])]),
        [labels(N_("stars")), ratings],
        [[f"{s} ★", found.get(s, 0)] for s in stars],
    )


async def _hours(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Chart:
    found = await ind.hours_of_week(session, filters)
    turns, queued = [0] * 24, [0] * 24
    for (_, hour), (t, q) in found.items():
        turns[hour] += t
        queued[hour] += q
    on_duty = await mediators_on_duty(session, filters)
    hours = [f"{h:02d}" for h in range(24)]
    contacts, waiting = labels(N_("contacts")), labels(N_("handoffs queued"))
    duty = labels(N_("mediators on duty (mean of the week)"))
    return Chart(
        "hours",
        labels(N_("Busiest hours and the mediators' duty hours")),
        charts.line(hours, [(contacts, turns), (waiting, queued), (duty, on_duty)]),
        [labels(N_("hour")), contacts, waiting, duty],
        [[hours[h], turns[h], queued[h], on_duty[h]] for h in range(24)],
    )


async def mediators_on_duty(session: AsyncSession, filters: ind.Filters) -> list[float]:
    """Per hour of the day: mediators on duty at half past, averaged over the seven days
    (speaking the filter's language and covering the filter's cities, when chosen)."""
    accounts = await session.scalars(
        select(StaffAccount).where(
            StaffAccount.active.is_(True),
            (StaffAccount.role == Role.MEDIATOR) | StaffAccount.is_supervisor,
        )
    )
    counts = [0] * 24
    for account in accounts:
        if filters.language and not account.speaks(filters.language):
            continue
        if (
            filters.cities is not None
            and account.city_slugs
            and not (set(account.city_slugs) & filters.cities)
        ):
            continue
        for slot in duty_slots(account):
            for hour in range(24):
                if slot.start <= dt.time(hour, 30) < slot.end:
                    counts[hour] += 1
    return [round(c / 7, 1) for c in counts]
