"""A person in the web chat, over HTTP (`/api/chat`), for tests of running workers."""

from __future__ import annotations

from typing import Any

import aiohttp


async def chat(
    session: aiohttp.ClientSession, base: str, body: dict[str, Any]
) -> list[dict[str, Any]]:
    async with session.post(base + "/api/chat", json=body) as response:
        assert response.status == 200, await response.text()
        return list((await response.json())["messages"])


def button_with(messages: list[dict[str, Any]], label_part: str) -> str:
    for message in messages:
        for row in message.get("buttons") or []:
            for button in row:
                if label_part in button["label"]:
                    return str(button["data"])
    raise AssertionError(f"no {label_part!r} button in {messages}")


async def ask_for_a_mediator(session: aiohttp.ClientSession, base: str, summary: str) -> None:
    """ "Talk to a person", yes, the one-line description: a case waits for a mediator."""
    offer = await chat(session, base, {"button": "human"})
    await chat(session, base, {"button": button_with(offer, "✅")})
    await chat(session, base, {"text": summary})


def person_session(verify_tls: bool = True, language: str = "en") -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"Accept-Language": language},
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(ssl=verify_tls),
    )
