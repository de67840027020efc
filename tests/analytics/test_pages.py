"""The statistics pages and files over real HTTP on loopback, against the app on the seeded
database: administrators see every city, city editors only theirs (pages and files),
translators none; unanswered questions are grouped, exported as training data, marked and
dismissed. Pages in a real browser (Chromium) for the screenshots."""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from aiohttp import web
from playwright.async_api import Browser
from ruamel.yaml import YAML
from sqlalchemy import select

from bot.analytics.models import QuestionGroup
from bot.kb.db import Database
from bot.kb.models import City, UnansweredMessage
from bot.settings import load_settings
from bot.staff.models import Role
from bot.web.app import create_app
from tests.analytics.audit import audit_workbook
from tests.analytics.seed import Seeded, this_bucket
from tests.bench.analytics_year import YearSize, generate, write
from tests.support import processes
from tests.support.staff import add_staff
from tests.support.staff_http import StaffClient

PASSWORD = "a long staff password 2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIMILAR = {
    "it": [
        "come rinnovo il permesso di soggiorno",
        "rinnovo permesso di soggiorno scaduto",
        "permesso di soggiorno rinnovo come si fa",
        "dove si paga il bollo auto",
    ],
    "en": ["how do I renew my residence permit", "renew residence permit how"],
}


@pytest.fixture(scope="module")
async def app_url(
    seeded: tuple[Database, Seeded], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    database, _ = seeded
    settings = load_settings(
        database_url=database.url,
        telegram_bot_token=None,
        web_port=processes.free_port(),
        pseudonym_key="statistics-test-pseudonym-key",
        pseudonym_key_file=tmp_path_factory.mktemp("keys") / "pseudonym.key",
        session_key="statistics-test-session-key-0123456789abcdef",
        run_background_work=False,
    )
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    yield f"http://127.0.0.1:{settings.web_port}"
    await runner.cleanup()


async def signed_in(app_url: str, database: Database, role: Role, cities: list[str]) -> StaffClient:
    account = await add_staff(database, role, PASSWORD, cities=cities)
    client = StaffClient(app_url)
    assert await client.sign_in(account.username, PASSWORD) == 303
    return client


def table_of(html: str, key: str) -> str:
    found = re.search(rf'id="chart-{key}".*?</section>', html, re.S)
    assert found, key
    return found.group(0)


async def test_administrators_see_every_city_and_editors_only_theirs(
    seeded: tuple[Database, Seeded], app_url: str
) -> None:
    database, _ = seeded
    async with await signed_in(app_url, database, Role.ADMINISTRATOR, []) as admin:
        status, html, _ = await admin.get("/admin/statistics")
        assert status == 200
        topics = table_of(html, "topics")
        assert "Torino" in topics and "Genova" in topics
        assert html.count('<img src="data:image/svg+xml;base64,') == 8
        assert "<script" not in html
    async with await signed_in(app_url, database, Role.CITY_EDITOR, ["genova"]) as editor:
        status, html, _ = await editor.get("/admin/statistics")
        assert status == 200
        topics = table_of(html, "topics")
        assert "Genova" in topics and "Torino" not in topics
        languages = table_of(html, "languages")
        assert "italian" not in languages.lower()  # D1-D6 wrote from Torino only
        assert (await editor.get("/admin/statistics?city=torino"))[0] == 403
        assert (await editor.get("/admin/statistics/report.xlsx?city=torino"))[0] == 403
    async with await signed_in(app_url, database, Role.TRANSLATOR, []) as translator:
        assert (await translator.get("/admin/statistics"))[0] == 403
        assert (await translator.get("/admin/statistics/report.zip"))[0] == 403


async def test_an_editors_report_holds_only_their_cities(
    seeded: tuple[Database, Seeded], app_url: str
) -> None:
    database, _ = seeded
    editor = await signed_in(app_url, database, Role.CITY_EDITOR, ["genova"])
    async with editor, editor.session.get(app_url + "/admin/statistics/report.xlsx") as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(await response.read()))
    grid = [row for row in workbook["Contatti per città e argomento"].iter_rows(values_only=True)]
    assert [row[0] for row in grid[1:]] == ["Genova", "Totale"]
    people = {row[0]: row[1] for row in workbook["Persone per città"].iter_rows(values_only=True)}
    assert set(people) == {None, "Genova", "Totale"}
    definitions = [row for row in workbook["Definizioni"].iter_rows(values_only=True)]
    assert ("Città", "Genova") in definitions
    assert audit_workbook(workbook) == []


async def test_bad_filters_are_refused_with_a_clear_answer(
    seeded: tuple[Database, Seeded], app_url: str
) -> None:
    database, _ = seeded
    async with await signed_in(app_url, database, Role.ADMINISTRATOR, []) as admin:
        for query in (
            "from=2026-13&to=2026-01",
            "lang=xx",
            "channel=fax",
            "from=2027-01&to=2026-01",
        ):
            status, html, _ = await admin.get(f"/admin/statistics?{query}")
            assert status == 400, query
            assert "Traceback" not in html


async def test_unanswered_questions_are_grouped_and_become_work(
    seeded: tuple[Database, Seeded], app_url: str
) -> None:
    database, _ = seeded
    async with database.session() as session:
        for language, texts in SIMILAR.items():
            for text in texts:
                session.add(UnansweredMessage(language=language, text=text, city_slug="genova"))
        await session.commit()
    async with await signed_in(app_url, database, Role.CITY_EDITOR, ["genova"]) as editor:
        status, html, _ = await editor.get("/admin/questions?lang=it")
        assert status == 200
        async with database.session() as session:
            groups = list(
                await session.scalars(select(QuestionGroup).where(QuestionGroup.language == "it"))
            )
        by_total = sorted(groups, key=lambda g: -g.total)
        permit = by_total[0]
        assert permit.total == 3  # the three about the residence permit, not the car tax
        assert f'id="group-{permit.id}"' in html and "bollo auto" in html

        token = await editor.csrf("/admin/questions")
        status, body, headers = await editor.post(
            f"/admin/questions/{permit.id}/training-data",
            data={"csrf": token, "intent": "out_of_scope"},
        )
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        data = YAML(typ="safe").load(body)
        assert data["nlu"][0]["intent"] == "out_of_scope"
        assert sorted(data["nlu"][0]["examples"].splitlines()) == sorted(
            f"- {t}" for t in SIMILAR["it"][:3]
        )
        bad = await editor.post(
            f"/admin/questions/{permit.id}/training-data", data={"csrf": token, "intent": "x"}
        )
        assert bad[0] == 400
        refused = await editor.post(
            f"/admin/questions/{permit.id}/needs-content", data={"csrf": token, "city": "torino"}
        )
        assert refused[0] == 403
        marked = await editor.post(
            f"/admin/questions/{permit.id}/needs-content", data={"csrf": token, "city": "genova"}
        )
        assert marked[0] == 303
        assert (await editor.post(f"/admin/questions/{permit.id}/dismiss", data={"csrf": token}))[
            0
        ] == 303
        status, html, _ = await editor.get("/admin/questions?lang=it")
        assert f'id="group-{permit.id}"' not in html

    # retention deletes the texts: the group and its count stay, without examples
    async with database.session() as session:
        await session.execute(UnansweredMessage.__table__.delete())
        await session.commit()
        kept = await session.get(QuestionGroup, permit.id)
        assert kept is not None and kept.total == 3 and sum(kept.weekly.values()) == 3


async def test_screenshots_of_the_statistics_pages(
    browser: Browser, seeded: tuple[Database, Seeded], app_url: str, tmp_path: Path
) -> None:
    """`make screenshots` keeps them in docs/screenshots/ (else a temporary folder)."""
    database, _ = seeded
    admin = await add_staff(database, Role.ADMINISTRATOR, PASSWORD)
    folder = SCREENSHOTS if os.environ.get("WRITE_SCREENSHOTS") else tmp_path
    year = this_bucket().year - 1  # a synthetic year before the seeded one: charts to look at
    async with database.session() as session:
        cities = sorted(await session.scalars(select(City.slug)))
        for language, texts in SIMILAR.items():
            for text in texts:
                session.add(UnansweredMessage(language=language, text=text, city_slug="genova"))
        await session.commit()
    rows = generate(year, cities, YearSize(turns=60_000, people=6_000, cases=1_500))
    await asyncio.to_thread(write, database.url, rows)
    folder.mkdir(parents=True, exist_ok=True)
    for phone in (True, False):
        viewport = {"width": 412, "height": 915} if phone else {"width": 1280, "height": 900}
        page = await browser.new_page(viewport=viewport)
        await page.goto(app_url + "/admin/login")
        await page.fill("input[name=username]", admin.username)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        statistics = f"/admin/statistics?from={year}-01&to={year}-12"
        for name, path in (("statistics", statistics), ("questions", "/admin/questions")):
            response = await page.goto(app_url + path)
            assert response is not None and response.status == 200
            images = page.locator("img")
            for index in range(await images.count()):  # every chart drawn (the policy allows it)
                assert await images.nth(index).evaluate("i => i.complete && i.naturalWidth > 0")
            if database.url.startswith("sqlite"):
                suffix = "phone" if phone else "desktop"
                await page.screenshot(path=folder / f"{name}-{suffix}.png", full_page=True)
        await page.close()
