"""Statistics benchmarks (part of `make bench`; alone: `python -m tests.bench.analytics`,
`--turns` to try a smaller year):

1. A synthetic year of a national deployment (5,000,000 turns of 600,000 people in the
   sample's 24 cities and 14 languages, 100,000 handoff cases: `analytics_year`) written
   as cells, on SQLite and on PostgreSQL.
2. Over HTTP on loopback, signed in: the dashboard for the whole year (an administrator,
   every city; a city editor, one city), and the year's report as XLSX and as CSV.
3. The cost of writing facts on the chat path, side by side in the same run: the fact
   recorder's turn (a person's first message of the week, which writes their sketch
   registers, and a later one) against the unanswered-question log's insert, the write
   the chat path already made before (both on the database holding the year).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import func, select, text

from bot.analytics.recorder import FactRecorder
from bot.core.assistant import Turn
from bot.core.users import Profile
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.kb.models import City
from bot.kb.unanswered import UnansweredLog
from bot.settings import load_settings
from bot.staff.models import Role
from tests.bench.analytics_year import YearSize, generate, write
from tests.bench.handoff import pct
from tests.conftest import start_app
from tests.support import processes
from tests.support.databases import postgres_database, sqlite_database
from tests.support.staff import add_staff
from tests.support.staff_http import StaffClient

PASSWORD = "bench statistics password"
PAGE_REQUESTS = 20
FILE_REQUESTS = 5
WRITES = 300
DASHBOARD_GOAL_MS, XLSX_GOAL_S = 500, 5
TABLES = ("stat_turn", "stat_hour", "stat_handoff", "stat_reach")


async def timed(times: list[float], call: Callable[[], Awaitable[object]]) -> None:
    start = time.perf_counter()
    await call()
    times.append(time.perf_counter() - start)


async def fetch(client: StaffClient, path: str) -> None:
    async with client.session.get(client.base_url + path) as response:
        assert response.status == 200, (path, response.status)
        await response.read()


async def pages(database: Database, base_url: str, year: int) -> dict[str, list[float]]:
    admin = await add_staff(database, Role.ADMINISTRATOR, PASSWORD)
    editor = await add_staff(database, Role.CITY_EDITOR, PASSWORD, cities=["torino"])
    period = f"from={year}-01&to={year}-12"
    results: dict[str, list[float]] = {}
    for account, who in ((admin, "administrator"), (editor, "city editor (1 city)")):
        async with StaffClient(base_url) as client:
            assert await client.sign_in(account.username, PASSWORD) == 303
            path = f"/admin/statistics?{period}"
            await fetch(client, path)  # warm-up
            times: list[float] = []
            for _ in range(PAGE_REQUESTS):
                await timed(times, lambda p=path: fetch(client, p))  # type: ignore[misc]
            results[f"dashboard, a year, {who}"] = times
            for kind in ("xlsx", "zip"):
                times = []
                for _ in range(FILE_REQUESTS):
                    file_path = f"/admin/statistics/report.{kind}?{period}"
                    await timed(times, lambda p=file_path: fetch(client, p))  # type: ignore[misc]
                results[f"report {kind.upper()}, a year, {who}"] = times
    return results


async def writes(database: Database) -> dict[str, list[float]]:
    recorder = FactRecorder(database)
    log = UnansweredLog(database)
    loc = Catalogs().localizer("ar")
    turn = Turn(loc, intent="ask_job_services", topic="job")
    results: dict[str, list[float]] = {
        "facts: first message of the week": [],
        "facts: a later message": [],
        "reference: unanswered log insert": [],
    }
    for n in range(WRITES):
        profile = Profile(f"bench-person-{n}", "ar", False, "torino", "Torino")
        await timed(
            results["facts: first message of the week"],
            lambda p=profile: recorder.turn("telegram", p, turn),
        )
        await timed(
            results["facts: a later message"], lambda p=profile: recorder.turn("telegram", p, turn)
        )
        await timed(
            results["reference: unanswered log insert"],
            lambda: log.record("ar", "bench", "", "torino"),
        )
    return results


async def one_backend(
    database_url: str, size: YearSize, year: int, workdir: Path
) -> dict[str, object]:
    processes.prepare_database(database_url)
    database = Database(database_url)
    async with database.session() as session:
        cities = sorted(await session.scalars(select(City.slug)))
    start = time.perf_counter()
    rows = generate(year, cities, size)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    await asyncio.to_thread(write, database_url, rows)
    written = time.perf_counter() - start
    async with database.session() as session:
        counts = {
            t: int(await session.scalar(select(func.count()).select_from(text(t))) or 0)
            for t in TABLES
        }
    settings = load_settings(
        database_url=database_url,
        telegram_bot_token=None,
        web_port=processes.free_port(),
        pseudonym_key="bench-statistics-key",
        pseudonym_key_file=workdir / "pseudonym.key",
        session_key="bench-statistics-session-key-0123456789abcdef",
        run_background_work=False,
    )
    runner = await start_app(settings)
    try:
        timings = await pages(database, f"http://127.0.0.1:{settings.web_port}", year)
    finally:
        await runner.cleanup()
    timings.update(await writes(database))
    await database.dispose()
    return {"generated": generated, "written": written, "rows": counts, "timings": timings}


def render(size: YearSize, found: dict[str, dict[str, object]]) -> str:
    ms = 1000
    lines = [
        "## Statistics (issue 14)",
        "",
        f"A synthetic year of a national deployment: {size.turns:,} turns of {size.people:,} "
        f"people (24 cities, 14 languages, 2 channels) and {size.cases:,} handoff cases, "
        "aggregated into the cells the chat path writes. Generation (numpy) and bulk write "
        "(COPY on PostgreSQL, executemany on SQLite), then the pages over HTTP "
        f"({PAGE_REQUESTS} requests each, files {FILE_REQUESTS}), then {WRITES} writes of each "
        "kind on the chat path. `python -m tests.bench.analytics`.",
        "",
        "| | " + " | ".join(found) + " |",
        "|---|" + "---|" * len(found),
    ]
    backends = list(found.values())
    lines.append(
        "| generate the year (s) | " + " | ".join(f"{b['generated']:.1f}" for b in backends) + " |"
    )
    lines.append("| bulk write (s) | " + " | ".join(f"{b['written']:.1f}" for b in backends) + " |")
    for table in TABLES:
        lines.append(
            f"| rows in {table} | " + " | ".join(f"{b['rows'][table]:,}" for b in backends) + " |"
        )  # type: ignore[index]
    names = list(backends[0]["timings"])  # type: ignore[call-overload]
    for name in names:
        cells = []
        for b in backends:
            values = b["timings"][name]  # type: ignore[index]
            unit = ms
            cells.append(
                f"p50 {pct(values, 50) * unit:.1f} ms · p95 {pct(values, 95) * unit:.1f} ms"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Goals: a dashboard page ≤ {DASHBOARD_GOAL_MS} ms p95; a year's XLSX ≤ {XLSX_GOAL_S} s.",
    ]
    return "\n".join(lines) + "\n"


async def run(workdir: Path, size: YearSize | None = None) -> str:
    size = size or YearSize()
    year = time.localtime().tm_year - 1
    found: dict[str, dict[str, object]] = {}
    with ExitStack() as stack:
        sqlite_url = stack.enter_context(sqlite_database(workdir))
        found["SQLite"] = await one_backend(sqlite_url, size, year, workdir)
        postgres_url = stack.enter_context(postgres_database())
        found["PostgreSQL"] = await one_backend(postgres_url, size, year, workdir)
    return render(size, found)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=YearSize.turns)
    args = parser.parse_args()
    size = YearSize(args.turns, max(1, args.turns * 3 // 25), max(1, args.turns // 50))
    print(await run(Path(tempfile.mkdtemp(prefix="bench-statistics-")), size))


if __name__ == "__main__":
    asyncio.run(main())
