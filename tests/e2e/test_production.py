"""The production topology: two app workers (webhook mode, Redis Streams intake), two Rasa
servers (tracker in PostgreSQL, lock store in Redis) and two action servers, started as
`make run-prod` starts them. A person's messages spread over both workers are answered in
order, once each; killing a worker and then a Rasa server under load loses nothing and
answers nothing twice."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bot.handoff.models import HandoffCase
from bot.kb.db import Database
from bot.kb.models import City, Service
from bot.settings import to_sync_url
from tests.support.expect import loc, plain, translated
from tests.support.production import Production, Webhook, production, wait_for_webhooks
from tests.support.staff import add_mediator
from tests.support.staff_http import StaffClient, console_hears_live
from tests.support.telegram_double import BotApiDouble, BotCall, TelegramUser
from tests.support.webchat_http import ask_for_a_mediator, person_session

CITIES = [
    "Agrigento", "Aosta", "Bari", "Bologna", "Bolzano", "Cagliari", "Campobasso", "Caserta",
    "Catania", "Catanzaro", "Firenze", "Genova", "Latina", "Milano", "Napoli", "Palermo",
    "Perugia", "Potenza", "Roma", "Sassari", "Taranto", "Torino", "Trieste", "Venezia",
]  # fmt: skip
_users = itertools.count(8_100_001)
PASSWORD = "correct horse battery staple"
TECHNICAL_PROBLEM = translated(
    "it",
    "Sorry, I cannot answer right now because of a technical problem. "
    "Please try again in a few minutes.",
)


@pytest.fixture(scope="module")
async def prod(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Production]:
    double = BotApiDouble()
    await double.start()
    stack = ExitStack()
    # the services' logs: a temporary folder, or PRODUCTION_LOGS to keep them for a look
    workdir: Path = Path(os.environ.get("PRODUCTION_LOGS") or tmp_path_factory.mktemp("production"))
    try:
        started = await asyncio.to_thread(
            stack.enter_context,
            production(double, workdir, (2, 2, 2), INTAKE_LEASE_SECONDS="2", INTAKE_PARTITIONS="8"),
        )
        await wait_for_webhooks(double, 2)
        yield started
    finally:
        await asyncio.to_thread(stack.close)
        await double.stop()


@pytest.fixture(scope="module")
def job_services(prod: Production) -> dict[str, int]:
    """How many job services each city has: the cards that follow an answer's header."""
    engine = create_engine(to_sync_url(prod.topology.database_url).replace("asyncpg", "psycopg2"))
    with engine.connect() as connection:
        rows = connection.execute(
            select(City.name, func.count(Service.id))
            .join(Service, Service.city_id == City.id)
            .where(Service.topic == "job")
            .group_by(City.name)
        ).all()
    engine.dispose()
    return {name: count for name, count in rows if name in CITIES}


def header(city: str, count: int) -> str:
    """The first line of the answer to 'cerco lavoro a <city>'."""
    return (
        loc("it")
        .ngettext(
            "Job services in {city}: {count} place", "Job services in {city}: {count} places", count
        )
        .format(city=city, count=count)
    )


def answered_cities(replies: list[BotCall], counts: dict[str, int]) -> list[str]:
    """The cities of the answers' headers, in the order the person received them."""
    found = []
    for reply in replies:
        text = plain(reply.text)
        found += [city for city, n in counts.items() if header(city, n) in text]
    return found


async def converse(
    hook: Webhook, user: TelegramUser, cities: list[str], first_worker: int, pause: float = 0
) -> set[int]:
    """The person writes one message per city, one after the other (as Telegram delivers a
    chat's updates), alternating workers; the workers that took them."""
    taken = set()
    for index, city in enumerate(cities):
        update = hook.text_update(user, f"cerco lavoro a {city}")
        taken.add(await hook.deliver(update, (first_worker + index) % 2))
        await asyncio.sleep(pause)
    return taken


async def all_answered(
    double: BotApiDouble, user: TelegramUser, cities: list[str], counts: dict[str, int]
) -> list[BotCall]:
    expected = sum(1 + counts[city] for city in cities)
    try:
        return await double.replies(user.id, 0, count=expected, timeout=120)
    except AssertionError:
        got = [plain(c.text)[:50] for c in double.sent_to(user.id)]
        raise AssertionError(f"{len(got)} of {expected} replies: {cities} {got}") from None


async def test_a_burst_over_both_workers_is_answered_in_order_once_each(
    prod: Production, job_services: dict[str, int]
) -> None:
    user = TelegramUser(id=next(_users), language_code="it")
    burst = list(job_services)[:20]
    async with Webhook(prod.double, prod.worker_urls()) as hook:
        taken = await converse(hook, user, burst, first_worker=0)
        assert taken == {0, 1}
        await all_answered(prod.double, user, burst, job_services)
        # one more message: once it is answered, a repeated answer would have come before it
        await converse(hook, user, ["Roma"], first_worker=1)
        replies = await all_answered(prod.double, user, [*burst, "Roma"], job_services)
    assert answered_cities(replies, job_services) == [*burst, "Roma"], [
        plain(r.text)[:70] for r in replies[:4]
    ]
    assert len(prod.double.sent_to(user.id)) == len(replies)


async def test_killing_a_worker_then_a_rasa_server_under_load_loses_and_repeats_nothing(
    prod: Production, job_services: dict[str, int]
) -> None:
    people = [TelegramUser(id=next(_users), language_code="it") for _ in range(4)]
    cities = list(job_services)
    plans = {
        p.id: [cities[(k * 5 + r) % len(cities)] for r in range(6)] for k, p in enumerate(people)
    }
    async with Webhook(prod.double, prod.worker_urls()) as hook:
        load = asyncio.gather(
            *(converse(hook, p, plans[p.id], k % 2, pause=0.5) for k, p in enumerate(people))
        )
        await asyncio.sleep(0.8)
        os.kill(prod.service("app-0").process.pid, signal.SIGKILL)
        await asyncio.sleep(0.8)
        os.kill(prod.service("rasa-0").process.pid, signal.SIGKILL)
        taken = set().union(*await load)
        assert taken == {0, 1}  # the killed worker had taken some of them
        for person in people:
            await all_answered(prod.double, person, plans[person.id], job_services)
        for person in people:  # a later message each, answered by the surviving worker
            await converse(hook, person, ["Roma"], first_worker=1)
            plans[person.id].append("Roma")
        for person in people:
            replies = await all_answered(prod.double, person, plans[person.id], job_services)
            assert answered_cities(replies, job_services) == plans[person.id]
            assert len(prod.double.sent_to(person.id)) == len(replies)
    assert not [c for c in prod.double.calls if TECHNICAL_PROBLEM in plain(c.text)]


async def test_with_a_worker_killed_the_console_still_hears_live_of_the_survivors_cases(
    prod: Production,
) -> None:
    """After `kill -9` of app-0 (the test above, or here if run alone), a mediator on the
    surviving worker's console sees a person's new message live."""
    killed = prod.service("app-0").process
    if killed.poll() is None:
        os.kill(killed.pid, signal.SIGKILL)
        await asyncio.to_thread(killed.wait, 10)
    survivor = f"http://127.0.0.1:{prod.topology.web_ports()[1]}"
    database = Database(prod.topology.database_url)
    mediator = await add_mediator(database, ["en"], password=PASSWORD)
    summary = f"help with my residence permit {uuid.uuid4().hex[:8]}"
    async with person_session() as person, StaffClient(survivor) as staff:
        await ask_for_a_mediator(person, survivor, summary)
        async with database.session() as session:
            case_id = await session.scalar(select(func.max(HandoffCase.id)))
        await database.dispose()
        assert await staff.sign_in(mediator.username, PASSWORD, area="console") == 303
        await console_hears_live(staff, survivor, person, survivor, case_id, summary)
