"""`make run` as a newcomer starts it: the Procfile's three processes, web chat and Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from bot.pseudonym import Pseudonymizer
from tests.support import processes
from tests.support.expect import plain
from tests.support.telegram_double import TOKEN, BotApiDouble, TelegramUser

ROOT = processes.ROOT
_WORKDIRS: list[Path] = []
_PORTS: dict[str, int] = {}


@pytest.fixture(scope="module")
async def procfile_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, BotApiDouble]]:
    workdir = tmp_path_factory.mktemp("make-run")
    _WORKDIRS.insert(0, workdir)
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    (ROOT / "var").mkdir(exist_ok=True)
    token_file = ROOT / "var" / "rasa-auth-token"
    if not token_file.exists():
        token_file.write_text("smoke-test-token\n")
    double = BotApiDouble()
    await double.start()
    web_port, rasa_port = processes.free_port(), processes.free_port()
    _PORTS["rasa"] = rasa_port
    rasa_log = ROOT / "var" / "rasa.log"  # Rasa appends: this run's lines start here
    _PORTS["rasa_log_offset"] = rasa_log.stat().st_size if rasa_log.exists() else 0
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
    replies = await double.replies(user.id, 0, count=2)
    assert len(replies) >= 2
    assert "Генуї" in plain(replies[0].text) or "Генуя" in plain(replies[0].text)


# --- issue 9: secrets, files, internal surfaces and logs -------------------------------

PRIVATE_FILES = ("rasa-auth-token", "action-server-token", "rasa.log")


def test_no_secret_is_on_a_command_line(procfile_stack: tuple[str, BotApiDouble]) -> None:
    secrets = [
        (ROOT / "var" / name).read_text().strip()
        for name in ("rasa-auth-token", "action-server-token")
    ]
    for process in psutil.process_iter(["cmdline"]):
        command_line = " ".join(process.info["cmdline"] or [])
        for secret in secrets:
            assert secret not in command_line, command_line[:200]


def test_files_with_secrets_or_personal_data_are_private(
    procfile_stack: tuple[str, BotApiDouble],
) -> None:
    paths = [ROOT / "var" / name for name in PRIVATE_FILES]
    for path in paths:
        assert path.exists(), path
    # everything else in var/ too: the pseudonym key, the databases, the logs
    paths += [path for path in (ROOT / "var").iterdir() if path.is_file()]
    paths += list(_WORKDIRS[0].glob("*.db*"))
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))


async def test_only_the_app_may_talk_to_rasa_and_only_rasa_to_the_actions(
    procfile_stack: tuple[str, BotApiDouble],
) -> None:
    rasa = f"http://127.0.0.1:{_PORTS['rasa']}"
    async with aiohttp.ClientSession() as session:
        body = {"sender": "x", "message": '/ask_housing_help{"city":"Roma"}'}
        async with session.post(f"{rasa}/webhooks/rest/webhook", json=body) as response:
            assert response.status == 404  # Rasa's own REST channel is not there
        for message in ('/ask_housing_help{"city":"Roma"}', "/restart", "ciao"):
            body = {"sender": "x", "message": message}
            async with session.post(f"{rasa}/webhooks/assistant/webhook", json=body) as response:
                assert response.status in (401, 403), message
        async with session.post(
            "http://127.0.0.1:5055/webhook", json={"next_action": "action_answer_topic"}
        ) as response:
            assert response.status in (401, 403)


async def test_no_log_line_holds_a_message_a_location_or_an_id(
    procfile_stack: tuple[str, BotApiDouble],
) -> None:
    web_url, double = procfile_stack
    marker = f"zq{uuid.uuid4().hex[:12]}"
    user = TelegramUser(id=4_242_420_017, language_code="it")
    pseudonym = Pseudonymizer(b"make-run-smoke-test-key")("telegram", user.id)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{web_url}/api/chat", json={"text": f"cerco lavoro a Bologna {marker}"}
        ) as response:
            assert response.status == 200
        double.send_text(user, f"cerco casa a Roma {marker}")
        await double.replies(user.id, 0, count=2)
        # the action server loses its knowledge base: every action fails
        database = _WORKDIRS[0] / "assistant.db"
        with sqlite3.connect(database) as connection:
            connection.execute("ALTER TABLE service RENAME TO service_gone")
        try:
            before = len(double.sent_to(user.id))
            double.send_text(user, f"cerco lavoro a Milano {marker}")
            await double.replies(user.id, before, count=1)
            before = len(double.sent_to(user.id))
            double.send_location(user, 45.0712345, 7.6812345)
            await double.replies(user.id, before, count=1)
            async with session.post(
                f"{web_url}/api/chat", json={"text": f"corsi di italiano a Torino {marker}"}
            ) as response:
                assert response.status == 200
        finally:
            with sqlite3.connect(database) as connection:
                connection.execute("ALTER TABLE service_gone RENAME TO service")
    logs = {
        "make run output": (_WORKDIRS[0] / "honcho.log").read_text(errors="replace"),
        "var/rasa.log": (ROOT / "var" / "rasa.log")
        .read_bytes()[_PORTS["rasa_log_offset"] :]
        .decode(errors="replace"),
    }
    assert "action" in logs["make run output"].lower()  # the failures were logged
    for name, text in logs.items():
        for secret in (marker, "0712345", "6812345", str(user.id), pseudonym):
            assert secret not in text, f"{secret!r} found in {name}"
