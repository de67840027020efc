"""Staff workspace benchmarks (part of `make bench`):

1. From "save" in /admin to the changed answer in the bot's next reply: staff save a new
   phone number for a service over HTTP (form post with CSRF), then a person asks for that
   topic in the web chat; the clock stops when the reply carries the new number. The real
   Rasa server and action server answer, on the same database as the app.
2. Response time of the workspace's main pages with the sample data ×10 (240 cities,
   1,110 services, 15,000 texts), signed in as an administrator (who sees everything).

Standalone: `python -m tests.bench.workspace` (starts its own Rasa and action server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
from ruamel.yaml import YAML
from sqlalchemy import select

from bot.kb.db import Database
from bot.kb.loader import SAMPLE_DATA_DIR, load_directory
from bot.kb.models import City, Service, UnansweredMessage
from bot.settings import Settings
from bot.staff.models import Role
from bot.web.admin.services import form_values
from bot.workspace.editor import load_service
from tests.bench.handoff import pct
from tests.conftest import stack_settings, start_app
from tests.support import processes
from tests.support.staff import add_staff
from tests.support.telegram_double import BotApiDouble

PASSWORD = "bench workspace password"
SAVES = 30
PAGE_REQUESTS = 20
COPIES = 10
BENCH_CITY, BENCH_TOPIC = "torino", "job"


async def signed_in(http: aiohttp.ClientSession, base: str, username: str) -> str:
    page = await (await http.get(base + "/admin/login")).text()
    csrf = _csrf(page)
    response = await http.post(
        base + "/admin/login",
        data={"csrf": csrf, "username": username, "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 303, response.status
    return _csrf(await (await http.get(base + "/admin")).text())


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def save_to_reply(settings: Settings, database: Database) -> list[float]:
    """Seconds from the save request to the reply that shows the change, `SAVES` times."""
    base = f"http://127.0.0.1:{settings.web_port}"
    admin = await add_staff(database, Role.ADMINISTRATOR, PASSWORD)
    async with database.session() as session:
        service_id = await session.scalar(
            select(Service.id)
            .join(City)
            .where(City.slug == BENCH_CITY, Service.topic == BENCH_TOPIC)
            .order_by(Service.id)
        )
        service = await load_service(session, int(service_id or 0))
        assert service is not None
        values = form_values(service)
    jar = aiohttp.CookieJar(unsafe=True)
    timings = []
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as staff,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as person,
    ):
        csrf = await signed_in(staff, base, admin.username)
        await _chat(person, base, {"button": f"city:{BENCH_CITY}"})
        await _chat(person, base, {"button": f"t:{BENCH_TOPIC}"})  # warm-up
        for number in range(SAVES):
            phone = f"+39 011 70{number:02d} {number * 37 % 10_000:04d}"
            form = values | {"phone": phone, "csrf": csrf}
            form.pop("languages")
            started = time.perf_counter()
            saved = await staff.post(
                f"{base}/admin/services/{service_id}",
                data=[*form.items(), *(("languages", c) for c in service.languages_spoken)],
                allow_redirects=False,
            )
            assert saved.status == 303, await saved.text()
            reply = await _chat(person, base, {"button": f"t:{BENCH_TOPIC}"})
            assert phone in reply, "the reply does not show the saved change"
            timings.append(time.perf_counter() - started)
    return timings


async def _chat(http: aiohttp.ClientSession, base: str, body: dict[str, Any]) -> str:
    async with http.post(base + "/api/chat", json=body) as response:
        assert response.status == 200
        payload = await response.json()
    return "\n".join(str(m.get("text", "")) for m in payload["messages"])


def write_multiplied_sample(directory: Path, copies: int) -> None:
    """The sample cities and services `copies` times, each copy under new slugs and names."""
    yaml = YAML(typ="safe")
    cities = yaml.load((SAMPLE_DATA_DIR / "cities.yml").read_text(encoding="utf-8"))
    services = yaml.load((SAMPLE_DATA_DIR / "services.yml").read_text(encoding="utf-8"))
    all_cities, all_services = list(cities), list(services)
    for copy in range(1, copies):
        for city in cities:
            all_cities.append(
                city
                | {
                    "slug": f"{city['slug']}-{copy}",
                    "name": f"{city['name']} {copy}",
                    "names": {},
                    "exonyms": [],
                }
            )
        for service in services:
            all_services.append(
                service | {"city": f"{service['city']}-{copy}", "name": f"{service['name']} {copy}"}
            )
    directory.mkdir(parents=True, exist_ok=True)
    writer = YAML()
    writer.width = 4096
    with (directory / "cities.yml").open("w", encoding="utf-8") as file:
        writer.dump(all_cities, file)
    with (directory / "services.yml").open("w", encoding="utf-8") as file:
        writer.dump(all_services, file)
    (directory / "templates.yml").write_text(
        (SAMPLE_DATA_DIR / "templates.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )


async def page_times(settings: Settings, database: Database) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{settings.web_port}"
    admin = await add_staff(database, Role.ADMINISTRATOR, PASSWORD)
    async with database.session() as session:
        service_id = await session.scalar(select(Service.id).order_by(Service.id.desc()))
        for number in range(500):
            session.add(
                UnansweredMessage(
                    language=("ar", "uk", "bn", "en", "zh")[number % 5],
                    text=f"question number {number} the bot did not understand",
                    received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=number),
                )
            )
        await session.commit()
    pages = {
        "dashboard": "/admin",
        "services (all)": "/admin/services",
        "services of a city": "/admin/services?city=torino-5",
        "service form": f"/admin/services/{service_id}",
        "translations (all languages)": "/admin/texts",
        "translations, one language": "/admin/texts?lang=uk",
        "translation form": f"/admin/texts/{service_id}/ar",
        "bot answer preview": "/admin/preview?city=torino-5&topic=desk&lang=ar",
        "import / export": "/admin/exchange",
        "unanswered": "/admin/unanswered",
        "history": "/admin/audit",
    }
    times: dict[str, list[float]] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await signed_in(http, base, admin.username)
        for name, path in pages.items():
            times[name] = []
            for _ in range(PAGE_REQUESTS + 1):
                started = time.perf_counter()
                async with http.get(base + path) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                times[name].append(time.perf_counter() - started)
            times[name] = times[name][1:]  # the first request warms the template cache
    return times


async def run(rasa: processes.RasaServer, database_url: str, workdir: Path) -> str:
    """Needs a running Rasa server and an action server on `database_url`."""
    double = BotApiDouble()
    await double.start()
    settings = stack_settings(rasa, database_url, double, workdir)
    runner = await start_app(settings)
    database = Database(database_url)
    try:
        saves = await save_to_reply(settings, database)
    finally:
        await runner.cleanup()
        await database.dispose()

    big_url = f"sqlite+aiosqlite:///{workdir / 'workspace-x10.db'}"
    processes.prepare_database(big_url)
    big = Database(big_url)
    write_multiplied_sample(workdir / "sample-x10", COPIES)
    async with big.session() as session:
        report = await load_directory(session, workdir / "sample-x10", sample=True)
    big_settings = stack_settings(rasa, big_url, double, workdir)
    runner = await start_app(big_settings)
    try:
        pages = await page_times(big_settings, big)
    finally:
        await runner.cleanup()
        await big.dispose()
        await double.stop()
    return render(saves, pages, report.cities, report.services, report.texts)


def render(
    saves: list[float], pages: dict[str, list[float]], cities: int, services: int, texts: int
) -> str:
    ms = 1000
    lines = [
        "## Staff workspace",
        "",
        f"From “save” in `/admin` to the bot's next reply showing the change ({len(saves)} saves "
        "of a new phone number, each followed by a web-chat question for that topic and city; "
        "real Rasa and action server on the same SQLite database; target p95 ≤ 1 s):",
        "",
        "| p50 | p95 | max |",
        "|---|---|---|",
        f"| {pct(saves, 50) * ms:.0f} ms | {pct(saves, 95) * ms:.0f} ms "
        f"| {max(saves) * ms:.0f} ms |",
        "",
        f"Main pages with the sample data ×{COPIES} ({cities} cities, {services} services, "
        f"{texts:,} texts, 500 unanswered questions; SQLite; {PAGE_REQUESTS} requests each, "
        "signed in as an administrator, who sees every city):",
        "",
        "| page | p50 | p95 |",
        "|---|---|---|",
    ]
    for name, values in pages.items():
        lines.append(f"| {name} | {pct(values, 50) * ms:.0f} ms | {pct(values, 95) * ms:.0f} ms |")
    return "\n".join(lines) + "\n"


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    with ExitStack() as stack:
        rasa = stack.enter_context(processes.rasa_server(workdir))
        stack.enter_context(
            processes.action_server(rasa.action_port, database_url, workdir / "actions.log")
        )
        print(await run(rasa, database_url, workdir))


if __name__ == "__main__":
    asyncio.run(main())
