"""Probes that need a real browser (issue 9), in Debian's Chromium: a page of another origin
cannot open the console's WebSocket with a mediator's cookie, and markup sent by a person
is shown as text in the web chat and in the mediators' console, never run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, expect

from tests.conftest import Stack
from tests.e2e.test_security_mediators import waiting_case
from tests.support import processes
from tests.support.staff import add_mediator

PASSWORD = "a long staff password 2026"
PAYLOAD = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'

EVIL_PAGE = """<!doctype html><title>waiting</title><script>
const socket = new WebSocket("ws://127.0.0.1:{port}/console/live");
socket.onopen = () => {{ document.title = "open"; }};
socket.onerror = () => {{ document.title = "refused"; }};
socket.onclose = () => {{ if (document.title !== "open") document.title = "refused"; }};
</script>"""


@pytest.fixture
async def other_origin(stack: Stack) -> AsyncIterator[str]:
    """A page on another port of the same host: another origin, but the same site."""
    port = int(stack.web_url.rsplit(":", 1)[1])

    async def evil(_: web.Request) -> web.Response:
        return web.Response(text=EVIL_PAGE.format(port=port), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", evil)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    evil_port = processes.free_port()
    await web.TCPSite(runner, "127.0.0.1", evil_port).start()
    yield f"http://127.0.0.1:{evil_port}/"
    await runner.cleanup()


async def test_another_origin_cannot_open_the_console_socket(
    browser: Browser, stack: Stack, other_origin: str
) -> None:
    mediator = await add_mediator(stack.database, ["sq"], password=PASSWORD)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(stack.web_url + "/console/login")
    await page.fill("input[name=username]", mediator.username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_be_visible()
    # the console's own page opens its socket (the queue is live)
    await page.goto(other_origin)
    await page.wait_for_function("document.title !== 'waiting'", timeout=10_000)
    assert await page.title() == "refused"
    await context.close()


async def test_markup_from_a_person_is_shown_as_text(
    browser: Browser, stack: Stack, chat_factory: Any
) -> None:
    # the web chat: the person's own bubble and the bot's answer
    page = await browser.new_page()
    await page.goto(stack.web_url + "/")
    await page.fill("#text", PAYLOAD)
    await page.press("#text", "Enter")
    await expect(page.locator(".msg.bot").first).to_be_visible()
    await expect(page.locator(".msg.me").first).to_contain_text("<script>")
    assert await page.title() != "pwned"
    assert await page.locator(".msg img").count() == 0
    await page.close()
    # the mediators' console: the same text in the case page
    mediator = await add_mediator(stack.database, ["sq"], password=PASSWORD)
    case_id = await waiting_case(stack, chat_factory("sq"), "sq", PAYLOAD)
    page = await browser.new_page()
    await page.goto(stack.web_url + "/console/login")
    await page.fill("input[name=username]", mediator.username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.goto(f"{stack.web_url}/console/cases/{case_id}")
    await expect(page.locator(".facts")).to_contain_text("<script>")
    assert await page.title() != "pwned"
    assert await page.locator("main img").count() == 0
    await page.close()
