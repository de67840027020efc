"""The staff workspace (/admin) in a real browser (Debian's Chromium, driven by Playwright),
against the real app, database, Rasa and action server; what the bot then says is read
from the person's side, on Telegram (the Bot API double)."""

from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po, write_po
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.kb.models import City, Service, ServiceText
from bot.staff.models import Role
from bot.workspace.csv_exchange import restored
from bot.workspace.editor import TranslationStatus, load_service, translation_status
from bot.workspace.models import AuditEntry
from tests.conftest import Chat, Stack, ends_with_follow_ups
from tests.support.expect import plain, translated
from tests.support.staff import add_staff

PASSWORD = "a long staff password 2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_names = itertools.count(1)


async def signed_in(browser: Browser, stack: Stack, username: str, *, phone: bool = True) -> Page:
    viewport = {"width": 412, "height": 915} if phone else {"width": 1280, "height": 900}
    page = await browser.new_page(viewport=viewport)
    await page.goto(stack.web_url + "/admin/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    return page


async def csrf_of(page: Page) -> str:
    return str(await page.locator("input[name=csrf]").first.get_attribute("value"))


async def create_service(page: Page, stack: Stack, city: str, topic: str, phone: str) -> int:
    """Fill the "new service" form as staff would; the new service's id."""
    name = f"Sportello di prova {next(_names)}"
    await page.goto(f"{stack.web_url}/admin/services/new?city={city}")
    await page.select_option("select[name=topic]", topic)
    await page.fill("input[name=name]", name)
    await page.fill("input[name=address]", "Via Roma 1, 10121 Torino")
    await page.fill("#map-link", "https://www.openstreetmap.org/#map=18/45.07030/7.68690")
    await page.fill("input[name=phone]", phone)
    await page.check("input[name=languages][value=ar]")
    await page.fill("input[name=hours_mon]", "09:00-12:30, 14:30-16:30")
    await page.fill("input[name=it_label]", "Orientamento al lavoro")
    await page.fill("textarea[name=it_description]", "Aiuto per il curriculum e il lavoro.")
    await page.fill("input[name=owner]", "Comune – Ufficio stranieri")
    await page.click("#save")
    await expect(page.locator("p.ok")).to_be_visible()
    assert await page.input_value("input[name=latitude]") == "45.070300"
    return int(page.url.split("/admin/services/")[1].split("?")[0])


async def bot_answer(chat: Chat, city: str, topic: str) -> str:
    await chat.press(f"city:{city}")
    replies = await chat.press(f"t:{topic}", expect=ends_with_follow_ups)
    return "\n".join(plain(reply.text) for reply in replies)


async def test_an_editor_changes_a_service_and_the_next_answer_says_it(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["torino"])
    page = await signed_in(browser, stack, editor.username)
    service_id = await create_service(page, stack, "torino", "job", "+39 011 000 1111")
    person = chat_factory("it")
    assert "+39 011 000 1111" in await bot_answer(person, "torino", "job")

    # change the phone, preview before and after (in Arabic, right to left), then save
    await page.fill("input[name=phone]", "+39 011 999 2222")
    await page.select_option("select[name=preview_language]", "ar")
    await page.click("#preview-changes")
    after = page.locator("#after .phone")
    await expect(after).to_have_attribute("dir", "rtl")
    await expect(after).to_contain_text("\u2068+39 011 999 2222\u2069")
    await expect(page.locator(".phone").first).to_contain_text("+39 011 000 1111")
    await page.click("#save-previewed")
    await expect(page.locator("p.ok")).to_be_visible()
    answer = await bot_answer(person, "torino", "job")
    assert "+39 011 999 2222" in answer and "+39 011 000 1111" not in answer

    # the history shows who changed what; undo puts the old phone back in the bot's answer
    await page.goto(stack.web_url + "/admin/audit")
    await expect(page.locator("#audit")).to_contain_text(editor.username)
    await page.locator("#audit a").first.click()
    await expect(page.locator("table.grid")).to_contain_text("+39 011 999 2222")
    await page.click("#undo")
    await expect(page.locator("p.ok")).to_be_visible()
    assert "+39 011 000 1111" in await bot_answer(person, "torino", "job")
    async with stack.database.session() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_id == service_id).order_by(AuditEntry.id)
            )
        ).all()
    assert [e.action for e in entries] == ["create", "update", "undo"]
    await page.close()


async def test_another_citys_editor_is_refused_by_the_server(
    browser: Browser, stack: Stack
) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["genova"])
    page = await signed_in(browser, stack, editor.username)
    async with stack.database.session() as session:
        target = await session.scalar(
            select(Service).where(Service.city.has(slug="torino")).order_by(Service.id)
        )
    assert target is not None
    form = {"csrf": await csrf_of(page), "city": "torino", "topic": target.topic}
    response = await page.request.post(
        f"{stack.web_url}/admin/services/{target.id}", form=form | {"name": "Hijacked"}
    )
    assert response.status == 403
    moved = await page.request.post(
        f"{stack.web_url}/admin/services/new", form=form | {"name": "Not mine"}
    )
    assert moved.status == 403
    async with stack.database.session() as session:
        assert (await session.get(Service, target.id)).name == target.name  # type: ignore[union-attr]
        assert await session.scalar(select(Service).where(Service.name == "Not mine")) is None
    # nor are another city's services shown to them
    shown = await page.goto(f"{stack.web_url}/admin/services/{target.id}")
    assert shown is not None and shown.status == 403
    await page.goto(f"{stack.web_url}/admin/services")
    await expect(page.locator("table.grid")).not_to_contain_text(target.name)
    await page.close()


async def test_an_editor_edits_their_city_and_not_another(browser: Browser, stack: Stack) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["trieste"])
    page = await signed_in(browser, stack, editor.username)
    await page.goto(stack.web_url + "/admin/cities/trieste")
    names = await page.input_value("input[name=names_uk]")
    await page.fill("input[name=names_uk]", names + ", Трієсті")
    await page.fill("input[name=exonyms]", "Triest, Trst")
    await page.click("#save")
    await expect(page.locator("p.ok")).to_be_visible()
    async with stack.database.session() as session:
        city = await session.scalar(
            select(City).options(selectinload(City.names)).where(City.slug == "trieste")
        )
        assert city is not None
        spellings = {(n.language, n.name) for n in city.names}
        assert ("uk", "Трієсті") in spellings and (None, "Trst") in spellings
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity == "city", AuditEntry.city_slug == "trieste")
        )
        assert audit is not None and audit.username == editor.username
    refused = await page.request.post(
        f"{stack.web_url}/admin/cities/torino",
        form={"csrf": await csrf_of(page), "name": "X", "latitude": "45", "longitude": "7"},
    )
    assert refused.status == 403
    new_city = await page.request.post(
        f"{stack.web_url}/admin/cities/new",
        form={
            "csrf": await csrf_of(page),
            "slug": "mine",
            "name": "X",
            "latitude": "45",
            "longitude": "7",
        },
    )
    assert new_city.status == 403  # only administrators add cities
    await page.close()


async def test_a_change_without_the_csrf_token_is_refused(browser: Browser, stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    page = await signed_in(browser, stack, admin.username)
    async with stack.database.session() as session:
        target = await session.scalar(select(Service).order_by(Service.id))
    assert target is not None
    for token in ("", "forged-token"):
        response = await page.request.post(
            f"{stack.web_url}/admin/services/{target.id}/delete", form={"csrf": token}
        )
        assert response.status == 403
    async with stack.database.session() as session:
        assert await session.get(Service, target.id) is not None
    await page.close()


async def test_a_translator_translates_and_sees_when_the_italian_changes(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["torino"])
    translator = await add_staff(stack.database, Role.TRANSLATOR, PASSWORD, languages=["uk"])
    editor_page = await signed_in(browser, stack, editor.username)
    service_id = await create_service(editor_page, stack, "torino", "course", "+39 011 123 4567")

    page = await signed_in(browser, stack, translator.username)
    await page.goto(f"{stack.web_url}/admin/texts?city=torino&lang=uk&status=missing")
    await page.locator(f"a[href='/admin/texts/{service_id}/uk']").click()
    await expect(page.locator(".source").first).to_have_text("Orientamento al lavoro")
    await page.fill("input[name=label]", "Профорієнтація")
    await page.fill("textarea[name=description]", "Допомога з резюме та пошуком роботи.")
    await page.click("#save")
    await expect(page.locator("#status")).to_have_text("up to date")
    person = chat_factory("uk")
    await person.press("lang:uk")
    assert "Профорієнтація" in await bot_answer(person, "torino", "course")

    # the Italian source changes: the translation is listed as outdated
    await editor_page.goto(f"{stack.web_url}/admin/services/{service_id}")
    await editor_page.fill("textarea[name=it_description]", "Aiuto per il CV, anche online.")
    await editor_page.click("#save")
    await page.goto(f"{stack.web_url}/admin/texts?city=torino&lang=uk&status=outdated")
    await expect(page.locator(f"a[href='/admin/texts/{service_id}/uk']")).to_be_visible()

    # the translator may not touch the Italian source nor another language
    csrf = await csrf_of(page)
    for language in ("it", "ar"):
        response = await page.request.post(
            f"{stack.web_url}/admin/texts/{service_id}/{language}",
            form={"csrf": csrf, "label": "x"},
        )
        assert response.status == 403
    await page.close()
    await editor_page.close()


async def test_the_preview_shows_the_answer_right_to_left(browser: Browser, stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    page = await signed_in(browser, stack, admin.username)
    await page.goto(f"{stack.web_url}/admin/preview?city=torino&topic=desk&lang=ur")
    answer = page.locator("#bot-answer")
    await expect(answer).to_have_attribute("dir", "rtl")
    async with stack.database.session() as session:
        desk = await session.scalar(
            select(Service).where(Service.city.has(slug="torino"), Service.topic == "desk")
        )
    assert desk is not None
    await expect(answer).to_contain_text(f"\u2068{desk.phone}\u2069")
    await page.close()


async def test_the_preview_shows_a_follow_up_answer(browser: Browser, stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    page = await signed_in(browser, stack, admin.username)
    await page.goto(f"{stack.web_url}/admin/preview?city=bologna&topic=job&lang=it")
    await page.select_option("select[name=detail]", "phone")
    await page.click("form.filters button[type=submit]")
    follow_up = page.locator("#follow-up-answer")
    async with stack.database.session() as session:
        jobs = list(
            await session.scalars(
                select(Service).where(Service.city.has(slug="bologna"), Service.topic == "job")
            )
        )
    assert jobs
    await expect(follow_up.locator(".bubble")).to_have_count(1)  # one compact message
    for job in jobs:
        await expect(follow_up).to_contain_text(job.phone)
        await expect(follow_up).not_to_contain_text(job.address)
    await page.close()


async def test_po_round_trip(browser: Browser, stack: Stack, tmp_path: Path) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    page = await signed_in(browser, stack, admin.username, phone=False)
    service_id = await create_service(page, stack, "torino", "housing", "+39 011 765 4321")
    exported = await page.request.get(f"{stack.web_url}/admin/po/fr.po")
    catalog = read_po(io.BytesIO(await exported.body()))
    label = catalog.get("Orientamento al lavoro", context=f"service:{service_id}:label")
    assert label is not None and label.string == ""
    label.string = "Orientation professionnelle"
    stale = catalog.get("Aiuto per il curriculum e il lavoro.", f"service:{service_id}:description")
    assert stale is not None
    stale.string = "Aide pour le CV."
    stale.flags.add("fuzzy")  # a translator's doubt: not imported
    path = tmp_path / "fr.po"
    with path.open("wb") as file:
        write_po(file, catalog)

    await page.goto(stack.web_url + "/admin/exchange")
    await page.set_input_files("form[action='/admin/po/fr'] input[type=file]", path)
    await page.click("form[action='/admin/po/fr'] button")
    result = page.locator("#po-result")
    await expect(result).to_contain_text("Orientation professionnelle")
    await expect(page.locator("#po-skipped")).to_contain_text(f"service:{service_id}:description")
    async with stack.database.session() as session:
        assert await _text(session, service_id, "fr") is None  # a preview changes nothing
    await page.click("#apply-po")
    await expect(page.locator("p.ok")).to_be_visible()
    async with stack.database.session() as session:
        text = await _text(session, service_id, "fr")
        assert text is not None and text.label == "Orientation professionnelle"
        assert text.description == ""
    again = read_po(io.BytesIO(await (await page.request.get(exported.url)).body()))
    entry = again.get("Orientamento al lavoro", context=f"service:{service_id}:label")
    assert entry is not None and entry.string == "Orientation professionnelle"
    await page.close()


async def _text(session: Any, service_id: int, language: str) -> ServiceText | None:
    return await session.scalar(
        select(ServiceText).where(
            ServiceText.service_id == service_id, ServiceText.language == language
        )
    )


async def test_a_csv_import_with_a_bad_row_imports_nothing(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["aosta"])
    page = await signed_in(browser, stack, editor.username, phone=False)
    exported = await page.request.get(f"{stack.web_url}/admin/services.csv?city=aosta")
    rows = list(csv.DictReader(io.StringIO((await exported.body()).decode("utf-8-sig"))))
    assert len(rows) >= 2 and {row["city"] for row in rows} == {"aosta"}
    good, bad = dict(rows[0]), dict(rows[1])
    good["phone"] = "+39 0165 000 321"
    bad["email"] = "not an email"
    new = dict(rows[0]) | {"id": "", "name": "Nuovo sportello mobile", "phone": ""}

    async def upload(*records: dict[str, str]) -> None:
        path = tmp_path / "services.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(records)
        await page.goto(stack.web_url + "/admin/exchange")
        await page.set_input_files("form[action='/admin/services/import'] input[type=file]", path)
        await page.click("#import-csv")

    await upload(good, bad, new)
    report = page.locator("#csv-result")
    await expect(report).to_contain_text("Nothing was imported")
    await expect(report.locator("tbody tr")).to_have_count(1)
    await expect(report.locator("tbody tr")).to_contain_text("3")  # the file's line
    await expect(report.locator("tbody tr")).to_contain_text("email")
    async with stack.database.session() as session:
        unchanged = await load_service(session, int(good["id"]))
        # the export shows "+39…" as text ('+39…); the value itself is unchanged
        assert unchanged is not None and unchanged.phone == restored(rows[0]["phone"])
        assert await session.scalar(select(Service).where(Service.name == new["name"])) is None

    bad["email"] = "sportello.aosta@example.org"
    await upload(good, bad, new)
    await expect(report).to_contain_text("1 new, 2 changed")
    async with stack.database.session() as session:
        changed = await load_service(session, int(good["id"]))
        assert changed is not None and changed.phone == "+39 0165 000 321"
        assert await session.scalar(select(Service).where(Service.name == new["name"]))
    await page.close()


async def test_an_expired_answer_is_not_given_as_current(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["torino"])
    page = await signed_in(browser, stack, editor.username)
    service_id = await create_service(page, stack, "torino", "desk", "+39 011 555 0000")
    await page.fill("input[name=valid_until]", "2020-01-31")
    await page.click("#save")
    await page.goto(stack.web_url + "/admin")
    await expect(page.locator("#expired")).to_contain_text("Sportello di prova")

    person = chat_factory("en")
    answer = await bot_answer(person, "torino", "desk")
    card = next(part for part in answer.split("\n\n") if "+39 011 555 0000" in part)
    checking = translated(
        "en",
        "The details of this service are being checked. Please contact the desk before you go.",
    )
    assert checking in answer
    assert "09:00" not in card.split("Sportello di prova")[1].split("⚠️")[0]
    async with stack.database.session() as session:
        service = await load_service(session, service_id)
        assert service is not None
        assert translation_status(service, "en") == TranslationStatus.MISSING
    await page.close()


async def test_unanswered_questions_are_listed_and_exported(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    person = chat_factory("en")
    await person.say("/start", expect=2)
    await person.say("what is the best pizza topping in the world")
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    page = await signed_in(browser, stack, admin.username)
    await page.goto(stack.web_url + "/admin/unanswered?lang=en")
    await expect(page.locator("main")).to_contain_text("best pizza topping")
    exported = await page.request.get(stack.web_url + "/admin/unanswered.yml?lang=en")
    body = (await exported.body()).decode()
    assert "- what is the best pizza topping in the world" in body and "nlu:" in body
    await page.close()


async def test_mediators_cannot_use_the_workspace(browser: Browser, stack: Stack) -> None:
    mediator = await add_staff(stack.database, Role.MEDIATOR, PASSWORD)
    page = await browser.new_page()
    await page.goto(stack.web_url + "/admin/login")
    await page.fill("input[name=username]", mediator.username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console")
    response = await page.request.get(stack.web_url + "/admin/services")
    assert response.status == 403
    await page.close()


async def test_screenshots_of_the_main_pages(
    browser: Browser, stack: Stack, tmp_path: Path
) -> None:
    """Every main page opens, on a phone and a desk computer; `make screenshots` keeps the
    pictures in docs/screenshots/ (otherwise they go to a temporary folder)."""
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    folder = SCREENSHOTS if os.environ.get("WRITE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "dashboard": "/admin",
        "services": "/admin/services?city=torino",
        "service-edit": "/admin/services/1?lang=ar",
        "translations": "/admin/texts?city=torino&lang=uk",
        "translation-edit": "/admin/texts/1/ar",
        "preview-ur": "/admin/preview?city=torino&topic=job&lang=ur",
        "import-export": "/admin/exchange",
        "history": "/admin/audit",
    }
    for phone in (True, False):
        page = await signed_in(browser, stack, admin.username, phone=phone)
        for name, path in pages.items():
            response = await page.goto(stack.web_url + path)
            assert response is not None and response.status == 200, path
            if stack.database.url.startswith("sqlite"):
                suffix = "phone" if phone else "desktop"
                await page.screenshot(path=folder / f"{name}-{suffix}.png", full_page=True)
        await page.close()
