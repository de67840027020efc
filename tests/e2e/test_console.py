"""The mediators' web console in a real browser (Debian's Chromium, driven by Playwright),
against the real app, Rasa and database; the person is on Telegram (the Bot API double)."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, expect

from bot.handoff.models import CaseStatus
from tests.conftest import Chat, Stack
from tests.e2e.test_handoff import open_case, request_handoff
from tests.support.expect import plain
from tests.support.staff import add_mediator

PASSWORD = "correct horse battery staple"


async def signed_in_page(browser: Browser, stack: Stack, username: str) -> Page:
    page = await browser.new_page(viewport={"width": 412, "height": 900})  # a phone
    await page.goto(stack.web_url + "/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    return page


async def waiting_case(stack: Stack, chat: Chat, language: str, summary: str) -> int:
    await chat.say("/start", expect=2)
    await request_handoff(chat, language, summary)
    case = await open_case(stack, chat)
    assert case.status == CaseStatus.WAITING
    return case.id


async def test_a_mediator_handles_a_case_in_the_console(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    mediator = await add_mediator(stack.database, ["tl"], password=PASSWORD, name="Joy")
    person = chat_factory("tl")
    case_id = await waiting_case(stack, person, "tl", "kailangan ko ng tulong sa permesso")
    telegram = stack.telegram

    page = await signed_in_page(browser, stack, mediator.username)
    row = page.locator(f"tr[data-case='{case_id}']")
    await expect(row).to_contain_text("tl")
    await row.locator("a").click()
    await expect(page.locator("h1")).to_contain_text(str(case_id))
    await expect(page.locator(".facts")).to_contain_text("kailangan ko ng tulong sa permesso")

    before = len(telegram.sent_to(person.user.id))
    await page.click("#take")
    taken = await telegram.replies(person.user.id, before, count=1)
    assert "Joy" in plain(taken[0].text)

    # a canned reply in the person's language reaches them on Telegram
    await page.select_option("#canned", index=1)
    canned_text = await page.input_value("#text")
    assert canned_text
    await page.click("#send")
    sent = await telegram.replies(person.user.id, before + len(taken), count=1)
    assert plain(sent[0].text) == canned_text

    # what the person writes appears live
    telegram.send_text(person.user, "salamat po, may appointment ba ako bukas?")
    await expect(page.locator("#conversation")).to_contain_text("may appointment ba ako bukas?")

    await page.fill("section.notes textarea", "needs an appointment at the questura")
    await page.click("#add-note")
    await expect(page.locator("section.notes ul")).to_contain_text("questura")

    await page.select_option("select[name=outcome]", "referred")
    count = len(telegram.sent_to(person.user.id))
    await page.click("#close")
    closed = await telegram.replies(person.user.id, count, count=2)
    assert any("⭐" in b["text"] for c in closed for b in c.buttons)
    assert (await open_case(stack, person)).outcome == "referred"
    await page.close()


async def test_a_mediator_cannot_open_a_case_outside_their_languages(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    other = await add_mediator(stack.database, ["zh"], password=PASSWORD)
    person = chat_factory("bn")
    case_id = await waiting_case(stack, person, "bn", "kaj lagbe")
    page = await signed_in_page(browser, stack, other.username)
    await expect(page.locator(f"tr[data-case='{case_id}']")).to_have_count(0)
    response = await page.goto(f"{stack.web_url}/console/cases/{case_id}")
    assert response is not None and response.status == 403
    # the server refuses the action too, not just the page
    token = await page.evaluate("() => document.cookie")  # HttpOnly: the session is not readable
    assert "lgnet_staff" not in token
    refused = await page.request.post(f"{stack.web_url}/console/cases/{case_id}/take", form={})
    assert refused.status == 403
    assert (await open_case(stack, person)).status == CaseStatus.WAITING
    await page.close()


async def test_changes_without_the_csrf_token_are_refused(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    mediator = await add_mediator(stack.database, ["ur"], password=PASSWORD)
    person = chat_factory("ur")
    case_id = await waiting_case(stack, person, "ur", "مجھے کام چاہیے")
    page = await signed_in_page(browser, stack, mediator.username)
    refused = await page.request.post(
        f"{stack.web_url}/console/cases/{case_id}/take", form={"csrf": "forged"}
    )
    assert refused.status == 403
    assert (await open_case(stack, person)).status == CaseStatus.WAITING
    await page.close()


async def test_sign_in_attempts_are_limited(stack: Stack) -> None:
    mediator = await add_mediator(stack.database, ["it"], password=PASSWORD)
    # unsafe: accept cookies from an IP address host (127.0.0.1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        statuses = []
        for _ in range(6):
            async with client.get(stack.web_url + "/console/login") as page:
                html = await page.text()
            token = html.split('name="csrf" value="')[1].split('"')[0]
            form = {"csrf": token, "username": mediator.username, "password": "wrong password!"}
            async with client.post(stack.web_url + "/console/login", data=form) as response:
                statuses.append(response.status)
        assert statuses == [401] * 5 + [429]
        async with client.get(stack.web_url + "/console/login") as page:
            html = await page.text()
        token = html.split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": token, "username": mediator.username, "password": PASSWORD}
        async with client.post(
            stack.web_url + "/console/login", data=form, allow_redirects=False
        ) as response:
            assert response.status == 429  # still blocked, even with the right password


async def test_the_queue_shows_new_requests_live(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    mediator = await add_mediator(stack.database, ["fr"], password=PASSWORD)
    page = await signed_in_page(browser, stack, mediator.username)
    await expect(page.locator("h1")).to_be_visible()
    person = chat_factory("fr")
    case_id = await waiting_case(stack, person, "fr", "j'ai besoin d'aide pour le logement")
    # no reload by the test: the page follows the queue over its WebSocket
    await expect(page.locator(f"tr[data-case='{case_id}']")).to_be_visible(timeout=10_000)
    await page.close()
