"""The indicator report for the funders: one table per indicator, suppressed, with its
definition. Labels are the staff's (Italian) catalog's; `export` writes XLSX and CSV."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from babel import Locale
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics import indicators as ind
from bot.analytics.facts import Event, Result
from bot.analytics.suppression import Mark, Table, suppress
from bot.i18n import N_, Localizer
from bot.kb.models import City, Topic


@dataclass
class Sheet:
    key: str  # stable name (tests, file names)
    title: str
    definition: str
    table: Table
    additive: bool = True  # rows and columns sum to the totals (people reached do not)
    extra: dict[str, list[str]] = field(default_factory=dict)  # derived columns


@dataclass
class Report:
    title: str
    filters_text: list[tuple[str, str]]
    sheets: list[Sheet]
    definitions_title: str
    headers: tuple[str, str, str]  # indicator, definition, notes


DEFINITIONS = {
    "people_city": (
        N_("People by city"),
        N_(
            "Distinct people who wrote to the assistant at least once in the period, per city "
            "(the city known when they wrote; “unknown” when none). Counted with a "
            "HyperLogLog sketch: standard error 3.3 in 100 for large counts, small counts exact in "
            "practice. A person who wrote about two cities is counted in both; the total counts "
            "them once, so the rows do not add up to it."
        ),
    ),
    "people_language": (
        N_("People by language"),
        N_("Distinct people in the period per conversation language, as for people by city."),
    ),
    "people_channel": (
        N_("People by channel"),
        N_("Distinct people in the period per channel (Telegram, web chat), as above."),
    ),
    "contacts_city_topic": (
        N_("Contacts by city and topic"),
        N_(
            "Contacts: messages answered by the assistant (a turn), per city and topic of the "
            "answer (job, housing, courses, help desks; “other” when none)."
        ),
    ),
    "contacts_language": (N_("Contacts by language"), N_("Contacts per language.")),
    "contacts_channel": (N_("Contacts by channel"), N_("Contacts per channel.")),
    "contacts_month": (N_("Contacts by month"), N_("Contacts per calendar month.")),
    "answers": (
        N_("Answers"),
        N_(
            "Contacts by result: answered; not understood (fallback); out of scope; "
            "navigation (menus, commands, media the assistant cannot read)."
        ),
    ),
    "handoffs": (
        N_("Mediator by language"),
        N_(
            "Handoff to a cultural mediator per language: offers of a mediator, cases opened "
            "by the person, cases taken in charge by a mediator, cases closed."
        ),
    ),
    "outcomes": (N_("Case outcomes"), N_("Closed cases by the outcome the mediator chose.")),
    "waits": (
        N_("Wait by language"),
        N_(
            "Cases taken in charge per language, and the wait in minutes between joining the "
            "queue and being taken: mean and 90th percentile, from one-minute bins (wider after "
            "an hour). Not shown for fewer than 5 cases."
        ),
    ),
    "ratings": (
        N_("Satisfaction"),
        N_(
            "Ratings given by people at the end of a case (1 to 5 stars); mean not shown for "
            "fewer than 5 ratings."
        ),
    ),
    "safeguarding": (
        N_("Safeguarding"),
        N_("Messages that suggested danger, by category, counted only."),
    ),
}
SUPPRESSION_NOTE = N_(
    "“<5”: fewer than 5, withheld. “n.d.”: at least 5, withheld so that a “<5” cannot be "
    "worked out from the totals."
)
UNKNOWN = N_("unknown")
TOTAL = N_("Total")
RESULT_LABELS = {
    Result.ANSWERED: N_("answered"),
    Result.FALLBACK: N_("not understood"),
    Result.OUT_OF_SCOPE: N_("out of scope"),
    Result.NAVIGATION: N_("navigation"),
}
STAGES = (
    (Event.OFFERED, N_("offered")),
    (Event.OPENED, N_("opened")),
    (Event.TAKEN, N_("taken in charge")),
    (Event.CLOSED, N_("closed")),
)
CHANNEL_LABELS = {"telegram": "Telegram", "web": N_("web chat"), "": UNKNOWN}
TOPIC_LABELS = {
    Topic.JOB.value: N_("job"),
    Topic.HOUSING.value: N_("housing"),
    Topic.COURSE.value: N_("Italian courses"),
    Topic.DESK.value: N_("help desks"),
    "": N_("other"),
}


class Labels:
    def __init__(self, loc: Localizer, city_names: dict[str, str]) -> None:
        self.loc = loc
        self._cities = city_names
        self._languages = Locale.parse(loc.language).languages

    def __call__(self, message: str) -> str:
        return self.loc.gettext(message)

    def city(self, slug: str) -> str:
        return self._cities.get(slug, slug) if slug else self(UNKNOWN)

    def language(self, code: str) -> str:
        return str(self._languages.get(code, code)) if code else self(UNKNOWN)

    def channel(self, code: str) -> str:
        return self(CHANNEL_LABELS.get(code, code))

    def topic(self, code: str) -> str:
        return self(TOPIC_LABELS.get(code, code))


async def city_names(session: AsyncSession) -> dict[str, str]:
    return {slug: name for slug, name in await session.execute(select(City.slug, City.name))}


def _one_column(
    labels: Labels,
    key: str,
    counts: dict[str, int],
    label: Callable[[str], str],
    column: str,
    *,
    total: int | None = None,
) -> Sheet:
    title, definition = DEFINITIONS[key]
    names = sorted(counts, key=lambda k: (-counts[k], k))
    table = Table.with_totals(
        [label(n) for n in names], [labels(column)], [[counts[n]] for n in names], labels(TOTAL)
    )
    additive = total is None
    if total is not None:
        table.values[-1][0] = total
    return Sheet(key, labels(title), labels(definition), suppress(table, additive), additive)


async def build_report(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Report:
    sheets = [
        *await _people_sheets(session, filters, labels),
        *await _contact_sheets(session, filters, labels),
        *await _handoff_sheets(session, filters, labels),
    ]
    return Report(
        title=labels(N_("Indicators of the information assistant")),
        filters_text=_filters_text(filters, labels),
        sheets=sheets,
        definitions_title=labels(N_("Definitions")),
        headers=(labels(N_("Indicator")), labels(N_("Definition")), labels(SUPPRESSION_NOTE)),
    )


def _filters_text(filters: ind.Filters, labels: Labels) -> list[tuple[str, str]]:
    everything = labels(N_("all"))
    cities = (
        ", ".join(labels.city(c) for c in sorted(filters.cities))
        if filters.cities is not None
        else everything
    )
    return [
        (labels(N_("Period")), filters.period.label()),
        (labels(N_("Cities")), cities),
        (
            labels(N_("Language")),
            labels.language(filters.language) if filters.language else everything,
        ),
        (labels(N_("Channel")), labels.channel(filters.channel) if filters.channel else everything),
    ]


async def _people_sheets(
    session: AsyncSession, filters: ind.Filters, labels: Labels
) -> list[Sheet]:
    total = await ind.people_total(session, filters)
    people = labels(N_("people"))
    return [
        _one_column(
            labels,
            "people_city",
            await ind.people_per(session, filters, "city"),
            labels.city,
            people,
            total=total,
        ),
        _one_column(
            labels,
            "people_language",
            await ind.people_per(session, filters, "language"),
            labels.language,
            people,
            total=total,
        ),
        _one_column(
            labels,
            "people_channel",
            await ind.people_per(session, filters, "channel"),
            labels.channel,
            people,
            total=total,
        ),
    ]


def _flat(found: dict[tuple[str, ...], int]) -> dict[str, int]:
    return {key[0]: value for key, value in found.items()}


async def _contact_sheets(
    session: AsyncSession, filters: ind.Filters, labels: Labels
) -> list[Sheet]:
    contacts = labels(N_("contacts"))
    by_city_topic = await ind.turns_by(session, filters, "city", "topic")
    cities = sorted({c for c, _ in by_city_topic}, key=labels.city)
    topics = [t for t in TOPIC_LABELS if any(k[1] == t for k in by_city_topic)]
    title, definition = DEFINITIONS["contacts_city_topic"]
    grid = Table.with_totals(
        [labels.city(c) for c in cities],
        [labels.topic(t) for t in topics],
        [[by_city_topic.get((c, t), 0) for t in topics] for c in cities],
        labels(TOTAL),
    )
    months = await ind.turns_by(session, filters, "bucket")
    per_month: dict[str, int] = defaultdict(int)
    for (bucket,), count in months.items():
        per_month[f"{bucket:%Y-%m}"] += count
    results = _flat(await ind.turns_by(session, filters, "result"))
    month_sheet = _one_column(labels, "contacts_month", dict(per_month), str, contacts)
    month_sheet.table = _sorted_rows(month_sheet.table)
    return [
        Sheet("contacts_city_topic", labels(title), labels(definition), suppress(grid)),
        _one_column(
            labels,
            "contacts_language",
            _flat(await ind.turns_by(session, filters, "language")),
            labels.language,
            contacts,
        ),
        _one_column(
            labels,
            "contacts_channel",
            _flat(await ind.turns_by(session, filters, "channel")),
            labels.channel,
            contacts,
        ),
        month_sheet,
        _one_column(
            labels, "answers", results, lambda r: labels(RESULT_LABELS.get(Result(r), r)), contacts
        ),
    ]


def _sorted_rows(table: Table) -> Table:
    last = len(table.rows) - 1
    order = [*sorted(range(last), key=lambda i: table.rows[i]), last]
    return Table(
        [table.rows[i] for i in order],
        table.columns,
        [table.values[i] for i in order],
        table.row_totals,
        [table.marks[i] for i in order],
    )


async def _handoff_sheets(
    session: AsyncSession, filters: ind.Filters, labels: Labels
) -> list[Sheet]:
    stages: dict[str, dict[Event, int]] = defaultdict(dict)
    for event, _ in STAGES:
        for (language,), count in (
            await ind.handoffs_by(session, filters, event, "language")
        ).items():
            stages[language][event] = count
    languages = sorted(stages, key=labels.language)
    title, definition = DEFINITIONS["handoffs"]
    handoffs = Table.with_totals(
        [labels.language(la) for la in languages],
        [labels(name) for _, name in STAGES],
        [[stages[la].get(event, 0) for event, _ in STAGES] for la in languages],
        labels(TOTAL),
        row_totals=False,
    )
    outcomes = _flat(await ind.handoffs_by(session, filters, Event.CLOSED, "detail"))
    ratings = {
        str(r): c
        for (r,), c in (await ind.handoffs_by(session, filters, Event.RATED, "rating")).items()
        if r > 0
    }
    categories = _flat(await ind.handoffs_by(session, filters, Event.SAFEGUARDING, "detail"))
    cases = labels(N_("cases"))
    return [
        Sheet("handoffs", labels(title), labels(definition), suppress(handoffs)),
        _one_column(labels, "outcomes", outcomes, lambda o: o or labels(UNKNOWN), cases),
        await _wait_sheet(session, filters, labels),
        _rating_sheet(labels, ratings),
        _one_column(labels, "safeguarding", categories, str, labels(N_("messages"))),
    ]


async def _wait_sheet(session: AsyncSession, filters: ind.Filters, labels: Labels) -> Sheet:
    waits = await ind.waits_by_language(session, filters)
    overall = await ind.wait_overall(session, filters)
    sheet = _one_column(
        labels,
        "waits",
        {la: w.cases for la, w in waits.items()},
        labels.language,
        labels(N_("cases taken in charge")),
    )
    ordered = sorted(waits, key=lambda la: (-waits[la].cases, la))
    stats = [waits[la] for la in ordered] + [overall]
    marks = [row[0] for row in sheet.table.marks]
    sheet.extra = {
        labels(N_("mean wait (minutes)")): _stat_column(stats, marks, "mean_minutes"),
        labels(N_("wait, 90th percentile (minutes)")): _stat_column(stats, marks, "p90_minutes"),
    }
    return sheet


def _stat_column(
    stats: Sequence[ind.WaitStats | None], marks: Sequence[Mark], name: str
) -> list[str]:
    return [
        f"{getattr(s, name):.1f}" if s is not None and mark == Mark.SHOWN else "n.d."
        for s, mark in zip(stats, marks, strict=True)
    ]


def _rating_sheet(labels: Labels, ratings: dict[str, int]) -> Sheet:
    title, definition = DEFINITIONS["ratings"]
    stars = [str(s) for s in range(1, 6)]
    table = Table.with_totals(
        [f"{s} ★" for s in stars],
        [labels(N_("ratings"))],
        [[ratings.get(s, 0)] for s in stars],
        labels(TOTAL),
    )
    sheet = Sheet("ratings", labels(title), labels(definition), suppress(table))
    count = sum(ratings.values())
    mean = sum(int(s) * c for s, c in ratings.items()) / count if count else 0.0
    sheet.extra = {
        labels(N_("mean rating")): [""] * len(stars) + [f"{mean:.2f}" if count >= 5 else "n.d."]
    }
    return sheet
