"""A small set of conversations whose indicators are counted by hand in the tests.

    person  channel   language  city    what happened
    A       telegram  ar        torino  job ×2 answered, 1 not understood; a case: waited
                                        30 min, closed "referred"
    B       web       uk        genova  housing answered, 1 out of scope
    C       telegram  ar        genova  course answered, asked for a mediator (offer);
                                        a case: waited 7 min, closed "resolved", 5 stars
    D1..D6  telegram  it        torino  job answered, once each
    E       telegram  fr        torino  words of danger (violence): counted only

Every person writes a marker (`MARKERS`) that must never reach a fact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from bot.analytics.models import ReachSalt
from bot.analytics.periods import ITALY, bucket_of
from bot.analytics.reach import register_and_rank
from bot.analytics.recorder import FactRecorder
from bot.core.assistant import Turn
from bot.core.contract import HandoffOffer
from bot.core.users import Profile, UserStore
from bot.handoff.cases import CaseStore
from bot.handoff.models import CaseAction, CaseReason, CaseStatus, HandoffCase
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.kb.models import City, Topic, UnansweredMessage
from bot.staff.models import Role, StaffAccount

PEOPLE = {
    "A": ("telegram", "ar", "torino"),
    "B": ("web", "uk", "genova"),
    "C": ("telegram", "ar", "genova"),
    **{f"D{i}": ("telegram", "it", "torino") for i in range(1, 7)},
    "E": ("telegram", "fr", "torino"),
}
MARKERS = {name: f"zq{name.lower()}marker{index:03d}" for index, name in enumerate(PEOPLE)}


def pseudonym(name: str) -> str:
    return hashlib.sha256(f"seed-person-{name}".encode()).hexdigest()[:32]


@dataclass
class Seeded:
    pseudonyms: list[str]
    markers: list[str]


async def fix_salt(database: Database, year: int) -> None:
    """A salt under which the seeded people fall in distinct registers: the people counts
    are then exact, and the test cannot flake on a collision (about 4% otherwise)."""
    for attempt in range(1000):
        salt = f"seed-salt-{attempt}".encode()
        registers = {register_and_rank(salt, pseudonym(n))[0] for n in PEOPLE}
        if len(registers) == len(PEOPLE):
            break
    async with database.session() as session:
        found = await session.get(ReachSalt, year)
        if found is None:
            session.add(ReachSalt(year=year, salt=salt))
        else:
            found.salt = salt
        await session.commit()


def now_in_italy() -> dt.datetime:
    return dt.datetime.now(ITALY)


def this_bucket() -> dt.date:
    return bucket_of(now_in_italy().date())


async def seed(database: Database) -> Seeded:
    await fix_salt(database, this_bucket().year)
    recorder = FactRecorder(database)
    catalogs = Catalogs()
    users = UserStore(database)
    profiles = {}
    for name, (channel, language, city) in PEOPLE.items():
        await users.get_or_create(pseudonym(name), channel, language)
        await users.set_city(pseudonym(name), city)
        profiles[name] = Profile(pseudonym(name), language, False, city, city.title())

    async def turn(name: str, intent: str | None, topic: Topic | None = None) -> None:
        channel, language, _ = PEOPLE[name]
        offer = HandoffOffer(topic=topic) if intent == "request_human" else None
        result = Turn(catalogs.localizer(language), intent=intent, handoff_offer=offer)
        result.topic = topic.value if topic else None
        await recorder.turn(channel, profiles[name], result)

    await turn("A", "ask_job_services", Topic.JOB)
    await turn("A", "ask_job_services", Topic.JOB)
    await turn("A", "nlu_fallback")
    await turn("B", "ask_housing_help", Topic.HOUSING)
    await turn("B", "out_of_scope")
    await turn("C", "request_human", Topic.COURSE)  # the offer of a mediator, about courses
    for i in range(1, 7):
        await turn(f"D{i}", "ask_job_services", Topic.JOB)
    await recorder.safeguarding("telegram", profiles["E"], "violence")

    cases = CaseStore(database, recorder.case_event)
    mediator = await _mediator(database)
    await _case(
        database, cases, "A", Topic.JOB, wait_minutes=30, outcome="referred", mediator=mediator
    )
    await _case(
        database,
        cases,
        "C",
        Topic.COURSE,
        wait_minutes=7,
        outcome="resolved",
        rating=5,
        mediator=mediator,
    )
    await _unanswered(database)
    return Seeded([pseudonym(n) for n in PEOPLE], list(MARKERS.values()))


async def _mediator(database: Database) -> int:
    async with database.session() as session:
        account = StaffAccount(
            username=f"seed-mediator-{id(database)}",
            display_name="Seed mediator",
            role=Role.MEDIATOR,
            languages=["ar"],
            duty_hours=[],
            city_slugs=[],
        )
        session.add(account)
        await session.commit()
        return account.id


async def _case(
    database: Database,
    cases: CaseStore,
    name: str,
    topic: Topic,
    *,
    wait_minutes: int,
    outcome: str,
    mediator: int,
    rating: int | None = None,
) -> None:
    channel, language, city = PEOPLE[name]
    async with database.session() as session:
        city_id = await session.scalar(select(City.id).where(City.slug == city))
    created = await cases.create(
        HandoffCase(
            user_pseudonym=pseudonym(name),
            channel=channel,
            language=language,
            city_id=city_id,
            topic=topic.value,
            reason=CaseReason.REQUESTED,
            status=CaseStatus.DRAFT,
            summary=f"summary {MARKERS[name]}",
        )
    )
    await cases.record(created.id, CaseAction.OPENED, detail=CaseReason.REQUESTED)
    queued = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=wait_minutes, seconds=10)
    await cases.update(created.id, status=CaseStatus.WAITING, queued_at=queued)
    await cases.record(created.id, CaseAction.QUEUED)
    assert await cases.take(created.id, mediator)
    await cases.record(created.id, CaseAction.TAKEN)
    assert await cases.close(created.id, outcome)
    await cases.record(created.id, CaseAction.CLOSED, detail=outcome)
    if rating is not None:
        await cases.update(created.id, rating=rating)
        await cases.observe(created.id, "rated")


async def _unanswered(database: Database) -> None:
    """What A and B wrote that the bot did not understand, with their markers."""
    async with database.session() as session:
        for name, text in (("A", "dove rinnovo"), ("B", "скільки коштує")):
            _, language, city = PEOPLE[name]
            session.add(
                UnansweredMessage(
                    language=language,
                    text=f"{text} {MARKERS[name]}",
                    guessed_intent="",
                    city_slug=city,
                )
            )
        await session.commit()
