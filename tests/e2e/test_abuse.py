"""The public surfaces under abuse (issue 9): limits on the web chat, a mediator only after an
offer, one open case per person, floods throttled politely, and malformed input answered
in the person's language, never with a 500 or a "technical problem"."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.handoff.models import HandoffCase
from tests.conftest import Stack
from tests.e2e.test_handoff import open_case, pseudonym, request_handoff
from tests.support.expect import plain, translated

TOO_FAST = "You are sending messages too fast. Please wait a minute, then write again."
TOO_MANY_PEOPLE = "Too many conversations were started from this network. Please try again later."
TOO_MANY_CASES = (
    "Too many requests for a mediator come from this network right now. "
    "Please try again later, or call one of the help desks."
)
UNREADABLE = "I could not read that message. Please write your question again."
BAD_LOCATION = "I could not read that location. Please share it again, or choose your city."
TECHNICAL = (
    "Sorry, I cannot answer right now because of a technical problem. "
    "Please try again in a few minutes."
)
OFFER = "Do you want to talk to a mediator?"


def web_client(address: str | None = None, language: str = "uk") -> aiohttp.ClientSession:
    headers = {"Accept-Language": language}
    if address:
        headers["X-Forwarded-For"] = address
    return aiohttp.ClientSession(headers=headers, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def say(
    session: aiohttp.ClientSession, url: str, body: Any, *, raw: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    kwargs: dict[str, Any] = (
        {"data": body, "headers": {"Content-Type": "application/json"}} if raw else {"json": body}
    )
    async with session.post(url + "/api/chat", **kwargs) as response:
        assert response.status < 500, response.status
        payload = await response.json()
        return response.status, list(payload["messages"])


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(plain(m["text"]) for m in messages)


# --- web chat limits ---------------------------------------------------------------------


async def test_a_fast_web_client_is_slowed_down_in_its_language(app_factory: Any) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"], webchat_messages_per_minute=6)
    async with web_client("203.0.113.10", "uk") as client:
        statuses = []
        for _ in range(9):
            status, messages = await say(client, url, {"text": "привіт"})
            statuses.append(status)
        assert statuses[:6] == [200] * 6, statuses
        assert statuses[-1] == 429
        assert translated("uk", TOO_FAST) in text_of(messages)
    async with web_client("203.0.113.11", "uk") as neighbour:  # another address: untouched
        status, _ = await say(neighbour, url, {"text": "привіт"})
        assert status == 200


async def test_one_address_cannot_create_people_without_end(app_factory: Any) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"], webchat_new_people_per_hour=3)
    statuses, last = [], []
    for _ in range(5):
        async with web_client("203.0.113.20", "ar") as fresh_person:  # no cookie: a new person
            status, last = await say(fresh_person, url, {"text": "مرحبا"})
            statuses.append(status)
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
    assert translated("ar", TOO_MANY_PEOPLE) in text_of(last)


async def test_one_address_cannot_fill_the_mediators_queue(stack: Stack, app_factory: Any) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"], webchat_open_cases_per_address=1)

    async def ask_for_a_mediator(address: str) -> str:
        async with web_client(address, "es") as person:
            await say(person, url, {"text": "/start"})
            _, offer = await say(person, url, {"button": "human"})
            yes = next(
                b["data"] for m in offer for row in m["buttons"] for b in row if "✅" in b["label"]
            )
            _, replies = await say(person, url, {"button": yes})
            if any(
                b.get("data") == "ho:bridge:no" for m in replies for r in m["buttons"] for b in r
            ):
                _, replies = await say(person, url, {"button": "ho:bridge:no"})
            if "ho:leave" in json.dumps(replies) and any(
                translated(
                    "es", "In one line, what do you need help with? Write it in your language."
                )
                in plain(m["text"])
                for m in replies
            ):
                _, replies = await say(person, url, {"text": "necesito ayuda con el permesso"})
            return text_of(replies)

    first = await ask_for_a_mediator("203.0.113.30")
    assert translated("es", TOO_MANY_CASES) not in first
    second = await ask_for_a_mediator("203.0.113.30")
    assert translated("es", TOO_MANY_CASES) in second
    elsewhere = await ask_for_a_mediator("203.0.113.31")
    assert translated("es", TOO_MANY_CASES) not in elsewhere


async def test_yes_connect_me_needs_an_offer_first(stack: Stack, chat_factory: Any) -> None:
    async with web_client(None, "ro") as forger:
        for forged in ("ho:yes", "ho:yes:job", "ho:bridge:en"):
            status, replies = await say(forger, stack.web_url, {"button": forged})
            assert status == 200
    person = chat_factory("ro")
    await person.say("/start", expect=2)
    replies = await person.press("ho:yes:housing")
    assert translated("ro", OFFER) in plain(replies[-1].text)  # offered, not opened
    async with stack.database.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(HandoffCase)
            .where(HandoffCase.user_pseudonym == pseudonym(stack, person))
        )
    assert count == 0


async def test_a_person_holds_at_most_one_open_case(stack: Stack, chat_factory: Any) -> None:
    person = chat_factory("ru")
    await person.say("/start", expect=2)
    await request_handoff(person, "ru", "нужна помощь с документами")
    first = await open_case(stack, person)
    await person.press("human")
    await person.press("ho:yes")
    async with stack.database.session() as session:
        open_cases = await session.scalar(
            select(func.count())
            .select_from(HandoffCase)
            .where(
                HandoffCase.user_pseudonym == pseudonym(stack, person),
                HandoffCase.status.in_(("draft", "waiting", "active")),
            )
        )
    assert open_cases == 1
    assert (await open_case(stack, person)).id == first.id


async def test_a_flood_from_one_chat_is_throttled_politely(stack: Stack, chat_factory: Any) -> None:
    person = chat_factory("tl")
    telegram = stack.telegram
    for number in range(40):
        telegram.send_text(person.user, f"hello {number}")
    notice = translated("tl", TOO_FAST)
    notices = await telegram.wait_for(
        lambda calls: [c for c in telegram.sent_to(person.user.id) if notice in plain(c.text)],
        what="the polite notice",
    )
    assert len(notices) == 1
    answers = [c for c in telegram.sent_to(person.user.id) if notice not in plain(c.text)]
    assert answers  # the first messages were answered


# --- malformed input -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '"hello"', "42", "null", "{}", '{"text": 5}'])
async def test_bodies_that_are_not_a_message_get_a_clear_answer(
    stack: Stack, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with web_client(None, "zh") as client:
        status, messages = await say(client, stack.web_url, body, raw=True)
    assert status == 400
    assert translated("zh", UNREADABLE) in text_of(messages)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "location",
    [
        '{"latitude": "abc", "longitude": 7.6}',
        "{}",
        '"Torino"',
        '{"latitude": NaN, "longitude": 7.6}',
        '{"latitude": Infinity, "longitude": 7.6}',
        '{"latitude": 999, "longitude": 7.6}',
        '{"latitude": 45.07, "longitude": -999}',
    ],
)
async def test_bad_locations_get_a_clear_answer(
    stack: Stack, location: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with web_client(None, "fa") as client:
        status, messages = await say(client, stack.web_url, f'{{"location": {location}}}', raw=True)
    assert status in (200, 400)
    assert translated("fa", BAD_LOCATION) in text_of(messages)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forged_and_oversized_buttons_get_the_menu(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    menu = translated("bn", "How can I help you? Choose a topic or write your question.")
    async with web_client(None, "bn") as client:
        for forged in (
            "rate:99999999999999999999:5",
            "rate:1:99999999999999999999",
            "city:../../etc",
            "lang:xx",
            "t:weapons",
            "case:take:1",
            "x" * 500,
            "",
        ):
            status, messages = await say(client, stack.web_url, {"button": forged})
            assert status == 200, forged
            assert menu in text_of(messages), forged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_lone_surrogate_is_read_like_any_text(stack: Stack) -> None:
    async with web_client(None, "it") as client:
        for text in ("ciao \\ud800", "aiuto \\udfff", "cerco lavoro a Bologna \\ud800"):
            status, messages = await say(client, stack.web_url, f'{{"text": "{text}"}}', raw=True)
            assert status == 200, text
            assert translated("it", TECHNICAL) not in text_of(messages), text
    assert "Bologna" in text_of(messages)
