"""`make run` as a newcomer starts it: the Procfile's three processes, web chat and Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support import processes
from tests.support.expect import plain
from tests.support.telegram_double import TOKEN, BotApiDouble, TelegramUser

ROOT = processes.ROOT


@pytest.fixture(scope="module")
async def procfile_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, BotApiDouble]]:
    workdir = tmp_path_factory.mktemp("make-run")
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    (ROOT / "var").mkdir(exist_ok=True)
    token_file = ROOT / "var" / "rasa-auth-token"
    if not token_file.exists():
        token_file.write_text("smoke-test-token\n")
    double = BotApiDouble()
    await double.start()
    web_port, rasa_port = processes.free_port(), processes.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEB_PORT": str(web_port),
        "RASA_PORT": str(rasa_port),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": double.base_url,
        "PSEUDONYM_KEY": "make-run-smoke-test-key",
    }
    log = workdir / "honcho.log"
    command = [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile"]
    with log.open("wb") as output:
        honcho = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # wait in threads: this event loop serves the Bot API double meanwhile
        for url, timeout in (
            (f"http://127.0.0.1:{rasa_port}/", 240),
            (f"http://127.0.0.1:{web_port}/healthz", 60),
            ("http://127.0.0.1:5055/health", 60),
        ):
            await asyncio.to_thread(processes.wait_for_http, url, honcho, timeout, log)
        yield f"http://127.0.0.1:{web_port}", double
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=30)
        await double.stop()


async def test_web_chat_answers_through_the_whole_pipeline(
    procfile_stack: tuple[str, BotApiDouble],
) -> None:
    web_url, _ = procfile_stack
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{web_url}/api/chat", json={"text": "cerco lavoro a Bologna"}) as response,
    ):
        messages = (await response.json())["messages"]
    assert "Bologna" in plain(messages[0]["text"])
    assert len(messages) >= 2  # the header and at least one service card


async def test_telegram_polling_runs_when_a_token_is_set(
    procfile_stack: tuple[str, BotApiDouble],
) -> None:
    _, double = procfile_stack
    user = TelegramUser(id=424242, language_code="uk")
    double.send_text(user, "шукаю житло в Генуї")
    replies = await double.replies(user.id, 0)
    assert len(replies) >= 2
    assert "Генуї" in plain(replies[0].text) or "Генуя" in plain(replies[0].text)
