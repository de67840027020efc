"""The local web chat goes through the same pipeline as Telegram."""

from __future__ import annotations

import aiohttp

from tests.conftest import Stack
from tests.support.expect import plain, translated


async def post(session: aiohttp.ClientSession, stack: Stack, body: dict[str, object]) -> list[dict]:
    async with session.post(f"{stack.web_url}/api/chat", json=body) as response:
        assert response.status == 200
        return list((await response.json())["messages"])


async def test_page_is_served(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session, session.get(stack.web_url + "/") as response:
        assert response.status == 200
        assert "/static/chat.js" in await response.text()


async def test_a_conversation_with_buttons_city_and_location(stack: Stack) -> None:
    headers = {"Accept-Language": "ar,en;q=0.5"}
    # unsafe=True: accept the session cookie from 127.0.0.1, as a browser does
    async with aiohttp.ClientSession(
        headers=headers, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        _welcome, picker = await post(session, stack, {"text": "/start"})
        assert translated("ar", "Choose your language:") in plain(picker["text"])
        question, offer = await post(session, stack, {"button": "t:job"})
        assert offer["request_location"] is True
        cities = [b["data"] for row in question["buttons"] for b in row]
        assert "city:bari" in cities
        _header, *cards = await post(session, stack, {"button": "city:bari"})
        assert cards and "\u2068" in cards[0]["text"]  # isolated Latin address in Arabic
        nearest = await post(
            session, stack, {"location": {"latitude": 41.1171, "longitude": 16.8719}}
        )
        assert any(message["venue"] for message in nearest)
        # the session cookie kept the same person: the city is remembered
        again = await post(session, stack, {"button": "t:course"})
        assert "باري" in again[0]["text"]


async def test_intent_injection_through_the_web_chat_is_refused(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        (reply,) = await post(session, stack, {"text": '/ask_job_services{"city": "Roma"}'})
        assert "/start" in reply["text"]


async def test_malformed_requests_are_rejected(stack: Stack) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.web_url}/api/chat",
            data="not json",
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 400
