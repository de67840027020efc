"""Webhook mode: Telegram's secret token is required, updates are answered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.settings import load_settings
from bot.web.app import SECRET_HEADER, WEBHOOK_PATH, create_app
from tests.conftest import Stack
from tests.support import processes
from tests.support.telegram_double import TOKEN, BotApiDouble

SECRET = "webhook-secret_123"


@pytest.fixture
async def webhook_app(stack: Stack, tmp_path) -> AsyncIterator[tuple[str, BotApiDouble]]:  # type: ignore[no-untyped-def]
    double = BotApiDouble()
    await double.start()
    port = processes.free_port()
    settings = load_settings(
        database_url=stack.settings.database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=double.base_url,
        telegram_webhook_url="https://assistant.example.org",
        telegram_webhook_secret=SECRET,
        rasa_url=stack.settings.rasa_url,
        rasa_auth_token=stack.settings.rasa_token,
        web_port=port,
        pseudonym_key="webhook-test-pseudonym-key",
        pseudonym_key_file=tmp_path / "key",
        run_background_work=False,  # the stack's own app runs the relay
        telegram_startup_retry_seconds=0.2,
    )
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    # the bot registers its webhook in the background, once the Bot API answers
    await double.wait_for(lambda calls: [c for c in calls if c.method == "setWebhook"])
    yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}", double
    await runner.cleanup()
    await double.stop()


def update(user_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": text,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "W", "language_code": "it"},
        },
    }


async def test_webhook_is_registered_with_its_secret(webhook_app: tuple[str, BotApiDouble]) -> None:
    _, double = webhook_app
    assert double.webhook_url == "https://assistant.example.org" + WEBHOOK_PATH
    assert double.webhook_secret == SECRET


@pytest.mark.parametrize("secret", [None, "wrong"])
async def test_updates_without_the_secret_are_refused(
    webhook_app: tuple[str, BotApiDouble], secret: str | None
) -> None:
    url, double = webhook_app
    headers = {SECRET_HEADER: secret} if secret else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update(555, "ciao"), headers=headers) as response,
    ):
        assert response.status == 403
    # then a genuine update from the same person: once it is answered, the refused one
    # would have been answered before it (one person's updates are handled in order)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update(555, "/start"), headers={SECRET_HEADER: SECRET}) as ok,
    ):
        assert ok.status == 200
    replies = await double.replies(555, 0, count=2)
    assert len(double.sent_to(555)) == 2 and "ciao" not in replies[0].text


async def test_updates_with_the_secret_are_answered(webhook_app: tuple[str, BotApiDouble]) -> None:
    url, double = webhook_app
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update(556, "/start"), headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 200
    replies = await double.replies(556, 0, count=2)  # the welcome and the language picker
    assert len(replies) == 2
