"""The Rasa client against a stand-in Rasa channel on loopback: what it sends, and what it
makes of failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.rasa_client import RasaClient, RasaUnavailable, as_user_text
from tests.support.processes import free_port

TOKEN = "channel-secret"


@dataclass
class StandInRasa:
    bodies: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    async def webhook(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization", ""))
        self.bodies.append(await request.json())
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status)
        nlu = {"intent": {"name": "greet"}, "language": "it", "language_confidence": 0.8}
        return web.json_response({"messages": [{"custom": {"kind": "greet"}}], "nlu": nlu})


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[StandInRasa, TestServer]]:
    stand_in = StandInRasa()
    app = web.Application()
    app.router.add_post("/webhooks/assistant/webhook", stand_in.webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield stand_in, server
    await server.close()


async def client(server: TestServer, timeout: float = 5.0) -> RasaClient:
    made = RasaClient(str(server.make_url("")), timeout, TOKEN)
    await made.start()
    return made


@pytest.mark.parametrize(
    "typed",
    ["/restart", '/ask_housing_help{"city":"Roma"}', "  //greet", "/ /out_of_scope"],
)
async def test_typed_text_is_never_an_intent(
    rasa: tuple[StandInRasa, TestServer], typed: str
) -> None:
    stand_in, server = rasa
    rasa_client = await client(server)
    await rasa_client.send_text("someone", typed, {"language": "it"})
    await rasa_client.close()
    assert not stand_in.bodies[0]["message"].startswith("/")
    assert stand_in.bodies[0]["message"] == as_user_text(typed)


async def test_the_channel_secret_and_the_metadata_are_sent(
    rasa: tuple[StandInRasa, TestServer],
) -> None:
    stand_in, server = rasa
    rasa_client = await client(server)
    answer = await rasa_client.send_intent(
        "someone", "inform_city", {"city": "Roma"}, {"city": "Roma"}
    )
    await rasa_client.close()
    assert stand_in.authorizations == [f"Bearer {TOKEN}"]
    assert stand_in.bodies[0] == {
        "sender": "someone",
        "message": '/inform_city{"city": "Roma"}',
        "metadata": {"city": "Roma"},
    }
    assert answer.intent == "greet" and answer.language == "it"


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_an_error_is_rasa_unavailable(
    rasa: tuple[StandInRasa, TestServer], status: int
) -> None:
    stand_in, server = rasa
    stand_in.status = status
    rasa_client = await client(server)
    with pytest.raises(RasaUnavailable):
        await rasa_client.send_text("someone", "ciao", {})
    await rasa_client.close()


async def test_a_slow_rasa_is_rasa_unavailable(rasa: tuple[StandInRasa, TestServer]) -> None:
    stand_in, server = rasa
    stand_in.delay = 1.0
    rasa_client = await client(server, timeout=0.2)
    with pytest.raises(RasaUnavailable):
        await rasa_client.send_text("someone", "ciao", {})
    await rasa_client.close()


async def test_a_rasa_that_is_down_is_rasa_unavailable() -> None:
    rasa_client = RasaClient(f"http://127.0.0.1:{free_port()}", 2.0, TOKEN)
    await rasa_client.start()
    with pytest.raises(RasaUnavailable):
        await rasa_client.send_text("someone", "ciao", {})
    await rasa_client.close()
