"""Indicators from a seeded set of conversations (tests/analytics/seed.py) equal the values
counted by hand; facts carry no text and no pseudonym; the report's files open, have the
documented sheets, and no withheld value can be worked out from them."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from bot.analytics import indicators as ind
from bot.analytics.backfill import backfill_once
from bot.analytics.export import to_csv_zip, to_xlsx
from bot.analytics.facts import Event
from bot.analytics.models import HandoffCell, HourCell, ReachRegister, StatMark, TurnCell
from bot.analytics.periods import Period
from bot.analytics.report import Labels, build_report, city_names
from bot.i18n import Catalogs
from bot.kb.db import Database
from tests.analytics.audit import audit_workbook
from tests.analytics.seed import Seeded, this_bucket

SheetTitles = [
    "Definizioni",
    "Persone per città",
    "Persone per lingua",
    "Persone per canale",
    "Contatti per città e argomento",
    "Contatti per lingua",
    "Contatti per canale",
    "Contatti per mese",
    "Esito delle risposte",
    "Mediatore per lingua",
    "Esiti dei casi",
    "Attesa per lingua",
    "Soddisfazione",
    "Salvaguardia",
]


def this_year() -> ind.Filters:
    return ind.Filters(Period.year(this_bucket().year))


async def test_indicators_equal_the_counts_by_hand(seeded: tuple[Database, Seeded]) -> None:
    database, _ = seeded
    filters = this_year()
    async with database.session() as session:
        by_city_topic = await ind.turns_by(session, filters, "city", "topic")
        by_result = await ind.turns_by(session, filters, "result")
        by_language = await ind.turns_by(session, filters, "language")
        by_channel = await ind.turns_by(session, filters, "channel")
        people = await ind.people_total(session, filters)
        people_city = await ind.people_per(session, filters, "city")
        people_language = await ind.people_per(session, filters, "language")
        people_channel = await ind.people_per(session, filters, "channel")
        offered = await ind.handoffs_by(session, filters, Event.OFFERED, "language")
        taken = await ind.handoffs_by(session, filters, Event.TAKEN, "language")
        outcomes = await ind.handoffs_by(session, filters, Event.CLOSED, "detail")
        ratings = await ind.handoffs_by(session, filters, Event.RATED, "rating")
        danger = await ind.handoffs_by(session, filters, Event.SAFEGUARDING, "detail")
        waits = await ind.waits_by_language(session, filters)
        torino = ind.Filters(filters.period, frozenset({"torino"}))
        torino_people = await ind.people_total(session, torino)
        torino_turns = await ind.turns_by(session, torino, "language")

    # A: job, job, not understood; B: housing, out of scope; C: course; D1-D6: job
    assert by_city_topic == {
        ("torino", "job"): 8,
        ("torino", ""): 1,
        ("genova", "housing"): 1,
        ("genova", ""): 1,
        ("genova", "course"): 1,
    }
    assert by_result == {("answered",): 10, ("fallback",): 1, ("out_of_scope",): 1}
    assert by_language == {("ar",): 4, ("uk",): 2, ("it",): 6}
    assert by_channel == {("telegram",): 10, ("web",): 2}
    # people: A, B, C, D1-D6, E (E only wrote words of danger)
    assert people == 10
    assert people_city == {"torino": 8, "genova": 2}
    assert people_language == {"ar": 2, "uk": 1, "it": 6, "fr": 1}
    assert people_channel == {"telegram": 9, "web": 1}
    assert torino_people == 8 and torino_turns == {("ar",): 3, ("it",): 6}
    # handoffs: C was offered a mediator; A's and C's cases were taken and closed
    assert offered == {("ar",): 1}
    assert taken == {("ar",): 2}
    assert outcomes == {("referred",): 1, ("resolved",): 1}
    assert ratings == {(5,): 1}
    assert danger == {("violence",): 1}
    # waits of 7 and 30 minutes, in one-minute bins: a mean of 19 (± half a minute)
    assert waits["ar"].cases == 2
    assert waits["ar"].mean_minutes == pytest.approx(19.0, abs=0.6)
    assert 7 <= waits["ar"].p50_minutes <= 8 and 29 <= waits["ar"].p90_minutes <= 31


async def test_facts_carry_no_text_and_no_pseudonym(seeded: tuple[Database, Seeded]) -> None:
    database, people = seeded
    forbidden = [*people.markers, *people.pseudonyms, *(p[:12] for p in people.pseudonyms)]
    async with database.session() as session:
        for model in (TurnCell, HourCell, HandoffCell, ReachRegister):
            rows = (await session.execute(select(model.__table__))).all()
            assert rows, model
            dump = "\n".join(repr(tuple(row)) for row in rows)
            for value in forbidden:
                assert value not in dump, (model.__tablename__, value)


async def test_the_report_opens_with_the_documented_sheets_and_hides_small_cells(
    seeded: tuple[Database, Seeded],
) -> None:
    database, _ = seeded
    async with database.session() as session:
        labels = Labels(Catalogs().localizer("it"), await city_names(session))
        report = await build_report(session, this_year(), labels)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    assert workbook.sheetnames == SheetTitles
    languages = {
        row[0]: row[1] for row in workbook["Contatti per lingua"].iter_rows(values_only=True)
    }
    assert languages == {
        None: "contatti",
        "italiano": 6,
        "arabo": "<5",
        "ucraino": "<5",
        "Totale": 12,
    }
    cities = {row[0]: row[1] for row in workbook["Persone per città"].iter_rows(values_only=True)}
    # Genova's 2 alone would be worked out from the total: Torino's 8 is withheld with it
    assert (cities["Torino"], cities["Genova"], cities["Totale"]) == ("n.d.", "<5", 10)
    assert audit_workbook(workbook) == []
    archive = zipfile.ZipFile(io.BytesIO(to_csv_zip(report)))
    assert len(archive.namelist()) == len(SheetTitles)
    csv_text = archive.read("05-contacts_language.csv").decode("utf-8-sig")
    assert "arabo;<5" in csv_text and "Totale;12" in csv_text


async def test_backfill_counts_what_is_still_kept_once(seeded: tuple[Database, Seeded]) -> None:
    """On a database whose facts were never written: cases, unanswered questions and
    profiles still kept become facts, once, with no text and no pseudonym."""
    database, people = seeded
    async with database.session() as session:
        for model in (TurnCell, HourCell, HandoffCell, ReachRegister, StatMark):
            await session.execute(model.__table__.delete())
        await session.commit()
    assert await backfill_once(database)
    assert not await backfill_once(database)
    filters = this_year()
    async with database.session() as session:
        taken = await ind.handoffs_by(session, filters, Event.TAKEN, "language")
        fallbacks = await ind.turns_by(session, filters, "result")
        people_count = await ind.people_total(session, filters)
        rows = [
            repr(tuple(row))
            for model in (TurnCell, HourCell, HandoffCell, ReachRegister)
            for row in (await session.execute(select(model.__table__))).all()
        ]
        dump = "\n".join(rows)
    assert taken == {("ar",): 2}
    assert fallbacks == {("fallback",): 2}  # the two unanswered messages kept
    assert people_count == 10  # every profile, in the week it was last seen
    for value in [*people.markers, *people.pseudonyms]:
        assert value not in dump
