"""Privacy benchmarks (issue 12; part of `make bench`, or alone:
`python -m tests.bench.privacy`):

1. `/forget` for a person with a year of history (a conversation a day in Rasa's tracker
   store, two handoff cases a month with their messages and notes, unanswered questions),
   among 300 other people with the same history, on SQLite and on PostgreSQL: the app's
   rows, the tracker's events and (SQLite) the checkpoint that truncates the log.
2. The cost of sealing texts at rest, sealed and in clear side by side in one run, requests
   interleaved:
   - on the chat path, Rasa's side: one turn of the tracker store (load the conversation,
     add the turn's events, save) with the encrypted store and with Rasa's own SQL store
     (run in Rasa's environment: `tests.bench.privacy_tracker`);
   - on the chat path, the app's side: storing a person's message in a case and reading it
     back for the relay;
   - the mediators' console: the case page of a case with 150 messages and 10 notes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.handoff.cases import CaseStore, NewMessage
from bot.handoff.models import CaseMessage, CaseNote, CaseStatus, HandoffCase, Sender
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage
from bot.privacy.erasure import Eraser
from bot.settings import load_settings
from rasa_components.sealing import TextSealer, load_or_create
from tests.bench.handoff import pct
from tests.conftest import start_app
from tests.support import processes
from tests.support.databases import postgres_database
from tests.support.staff import add_mediator
from tests.support.staff_http import StaffClient

PASSWORD = "bench privacy password"
OTHER_PEOPLE = 100
DAYS = 365
EVENTS_PER_DAY = 10
CASES_PER_YEAR = 24
MESSAGES_PER_CASE = 30
NOTES_PER_CASE = 2
QUESTIONS_PER_YEAR = 100
ERASURES = 3
ROUNDS = 300
PAGE_ROUNDS = 60
TEXT = "Il mio padrone di casa vuole mandarmi via e non ho un contratto scritto, cosa posso fare?"


# --- 1. /forget with a year of history ----------------------------------------------------


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "bot.kb", "upgrade"],
        cwd=processes.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def create_tracker(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        key = "SERIAL" if url.startswith("postgresql") else "INTEGER"
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS events (id {key} PRIMARY KEY, "
                "sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, "
                "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
                "data TEXT)"
            )
        )
        connection.execute(
            text("CREATE INDEX IF NOT EXISTS ix_events_sender ON events (sender_id)")
        )
    engine.dispose()


async def a_year_of(
    database: Database, tracker_url: str, sealer: TextSealer, pseudonym: str
) -> None:
    """One person's year: what the app keeps and what Rasa keeps."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=DAYS)
    async with database.session() as session:
        session.add(BotUser(pseudonym=pseudonym, channel="telegram", language="ar"))
        await session.flush()
        for number in range(CASES_PER_YEAR):
            opened = start + dt.timedelta(days=number * DAYS // CASES_PER_YEAR)
            case = HandoffCase(
                user_pseudonym=pseudonym,
                channel="telegram",
                language="ar",
                summary=TEXT,
                status=CaseStatus.CLOSED,
                created_at=opened,
                closed_at=opened + dt.timedelta(hours=2),
            )
            session.add(case)
            await session.flush()
            session.add_all(
                CaseMessage(
                    case_id=case.id,
                    sender=Sender.PERSON if i % 2 else Sender.MEDIATOR,
                    origin=f"tg:{i}",
                    kind="text",
                    text=TEXT,
                )
                for i in range(MESSAGES_PER_CASE)
            )
            session.add_all(CaseNote(case_id=case.id, text=TEXT) for _ in range(NOTES_PER_CASE))
        session.add_all(
            UnansweredMessage(language="ar", text=TEXT, user_pseudonym=pseudonym)
            for _ in range(QUESTIONS_PER_YEAR)
        )
        await session.commit()
    engine = create_engine(tracker_url)
    sealed = sealer.seal(json.dumps({"event": "user", "text": TEXT, "parse_data": {}}))
    rows = [
        {
            "sender_id": pseudonym,
            "type_name": "user",
            "timestamp": (start + dt.timedelta(days=i // EVENTS_PER_DAY)).timestamp(),
            "data": sealed,
        }
        for i in range(DAYS * EVENTS_PER_DAY)
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "VALUES (:sender_id, :type_name, :timestamp, :data)"
            ),
            rows,
        )
    engine.dispose()


async def forget_times(url: str, tracker_url: str, workdir: Path) -> list[float]:
    migrate(url)
    create_tracker(tracker_url.replace("+asyncpg", "+psycopg2"))
    sealer = load_or_create(workdir / f"text-{uuid.uuid4().hex[:6]}.key")
    database = Database(url, sealer)
    sync_tracker = tracker_url.replace("+asyncpg", "+psycopg2")
    try:
        people = [f"bench-{uuid.uuid4().hex}" for _ in range(OTHER_PEOPLE + ERASURES)]
        for pseudonym in people:
            await a_year_of(database, sync_tracker, sealer, pseudonym)
        eraser = Eraser(database, tracker_url)
        times = []
        for pseudonym in people[:ERASURES]:
            start = time.perf_counter()
            report = await eraser.erase(pseudonym)
            times.append(time.perf_counter() - start)
            assert len(report.cases) == CASES_PER_YEAR
            assert report.conversation_events == DAYS * EVENTS_PER_DAY
        return times
    finally:
        await database.dispose()


# --- 2. the cost of sealing ----------------------------------------------------------------


def tracker_store_turns(workdir: Path) -> dict[str, list[float]]:
    """Rasa's side, measured in Rasa's environment."""
    result = subprocess.run(
        [
            str(processes.RASA_PYTHON),
            "-m",
            "tests.bench.privacy_tracker",
            str(workdir / "tracker-bench"),
        ],
        cwd=processes.ROOT,
        env={**os.environ, "PYTHONPATH": str(processes.ROOT)},
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


async def case_message_round_trips(workdir: Path) -> dict[str, list[float]]:
    """The app's side: a person's message stored in an open case, then read for the relay."""
    stores: dict[str, tuple[Database, int]] = {}
    for name, sealer in (("in clear", None), ("sealed", load_or_create(workdir / "rt.key"))):
        url = f"sqlite+aiosqlite:///{workdir / f'roundtrip-{name[:2]}.db'}"
        migrate(url)
        database = Database(url, sealer)
        async with database.session() as session:
            session.add(BotUser(pseudonym="p", channel="telegram", language="ar"))
            await session.flush()
            case = HandoffCase(user_pseudonym="p", channel="telegram", language="ar")
            session.add(case)
            await session.commit()
            stores[name] = (database, case.id)
    times: dict[str, list[float]] = {name: [] for name in stores}
    for i in range(ROUNDS):
        for name, (database, case_id) in stores.items():
            cases = CaseStore(database)
            start = time.perf_counter()
            await cases.add_message(case_id, NewMessage(Sender.PERSON, f"tg:{i}", "text", TEXT))
            await cases.messages(case_id, after_id=i)
            times[name].append(time.perf_counter() - start)
    for database, _ in stores.values():
        await database.dispose()
    return times


async def console_page_times(workdir: Path) -> dict[str, list[float]]:
    """The mediators' console: a case page with 150 messages and 10 notes."""
    apps = {}
    runners = []
    for name, encrypt in (("in clear", False), ("sealed", True)):
        url = f"sqlite+aiosqlite:///{workdir / f'console-{name[:2]}.db'}"
        migrate(url)
        settings = load_settings(
            database_url=url,
            web_port=processes.free_port(),
            pseudonym_key="bench-pseudonym-key-0123456789",
            pseudonym_key_file=workdir / "pseudonym.key",
            encrypt_texts=encrypt,
            text_key_file=workdir / "console.key",
            run_background_work=False,
            rasa_tracker_database_url=None,
            session_key="bench-session-key-0123456789abcdef012345",
            log_level="WARNING",
        )
        runners.append(await start_app(settings))
        database = Database(url, load_or_create(workdir / "console.key") if encrypt else None)
        mediator = await add_mediator(database, ["ar"], password=PASSWORD)
        async with database.session() as session:
            session.add(BotUser(pseudonym="p", channel="telegram", language="ar"))
            await session.flush()
            case = HandoffCase(
                user_pseudonym="p",
                channel="telegram",
                language="ar",
                summary=TEXT,
                status=CaseStatus.ACTIVE,
                mediator_id=mediator.id,
            )
            session.add(case)
            await session.flush()
            session.add_all(
                CaseMessage(
                    case_id=case.id, sender=Sender.PERSON, origin=f"tg:{i}", kind="text", text=TEXT
                )
                for i in range(150)
            )
            session.add_all(CaseNote(case_id=case.id, text=TEXT) for _ in range(10))
            await session.commit()
            case_id = case.id
        await database.dispose()
        client = StaffClient(f"http://127.0.0.1:{settings.web_port}")
        assert await client.sign_in(mediator.username, PASSWORD, area="console") == 303
        apps[name] = (client, f"/console/cases/{case_id}")
    times: dict[str, list[float]] = {name: [] for name in apps}
    try:
        for _ in range(PAGE_ROUNDS):
            for name, (client, path) in apps.items():
                start = time.perf_counter()
                status, _, _ = await client.get(path)
                times[name].append(time.perf_counter() - start)
                assert status == 200
    finally:
        for client, _ in apps.values():
            await client.session.close()
        for runner in runners:
            await runner.cleanup()
    return times


# --- the section ---------------------------------------------------------------------------


async def run(workdir: Path) -> str:
    workdir = workdir / "privacy"
    workdir.mkdir(parents=True, exist_ok=True)
    forget = {
        "SQLite": await forget_times(
            f"sqlite+aiosqlite:///{workdir / 'forget.db'}",
            f"sqlite:///{workdir / 'forget-tracker.db'}",
            workdir,
        )
    }
    with postgres_database() as url:
        forget["PostgreSQL"] = await forget_times(url, url, workdir)
    tracker = tracker_store_turns(workdir)
    round_trips = await case_message_round_trips(workdir)
    pages = await console_page_times(workdir)
    return render(forget, tracker, round_trips, pages)


def render(
    forget: dict[str, list[float]],
    tracker: dict[str, list[float]],
    round_trips: dict[str, list[float]],
    pages: dict[str, list[float]],
) -> str:
    ms = 1000
    history = (
        f"{DAYS * EVENTS_PER_DAY:,} Rasa events, {CASES_PER_YEAR} cases × "
        f"{MESSAGES_PER_CASE} messages and {NOTES_PER_CASE} notes, {QUESTIONS_PER_YEAR} "
        f"unanswered questions"
    )
    lines = [
        "## Privacy (issue 12)",
        "",
        f"`/forget` for a person with a year of history ({history}), among {OTHER_PEOPLE} other "
        "people with the same history; app tables and Rasa's tracker store on the same backend "
        f"(SQLite: with `secure_delete` and the log's checkpoint); {ERASURES} people erased:",
        "",
        "| backend | each erasure |",
        "|---|---|",
    ]
    for backend, times in forget.items():
        lines.append(f"| {backend} | " + ", ".join(f"{t * ms:.0f} ms" for t in times) + " |")
    lines += [
        "",
        "Sealing texts at rest, in clear and sealed side by side in one run (requests "
        "interleaved):",
        "",
        "| path | in clear p50 | p95 | sealed p50 | p95 |",
        "|---|---|---|---|---|",
    ]
    for label, series, unit in (
        (
            f"chat, Rasa's tracker store: a turn of {tracker['turns'][0]:.0f}-turn conversations",
            tracker,
            ms,
        ),
        ("chat/relay, the app: store a person's case message and read it back", round_trips, ms),
        ("console: case page, 150 messages and 10 notes", pages, ms),
    ):
        clear, sealed = series["in clear"], series["sealed"]
        lines.append(
            f"| {label} | {pct(clear, 50) * unit:.1f} ms | {pct(clear, 95) * unit:.1f} ms "
            f"| {pct(sealed, 50) * unit:.1f} ms | {pct(sealed, 95) * unit:.1f} ms |"
        )
    return "\n".join(lines) + "\n"


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-privacy-"))
    print(await run(workdir))


if __name__ == "__main__":
    asyncio.run(main())
