"""Fixtures. The end-to-end stack (real Rasa, real action server, real database, the real
bot against a Bot API double) starts once per database backend and is shared by the tests."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from bot.kb.db import Database
from bot.kb.sealed import load_sealer
from bot.settings import Settings, load_settings
from bot.web.app import create_app
from tests.support import processes
from tests.support.databases import migrated_database
from tests.support.telegram_double import (
    GROUP_CHAT_ID,
    MEDIATORS_CHAT_ID,
    TOKEN,
    BotApiDouble,
    BotCall,
    TelegramUser,
)

DATABASE_BACKENDS = ("sqlite", "postgresql")
# Debian's Chromium, driven by Playwright, for the browser tests of the staff pages
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


# the components' tests need Rasa: they run in .venv-rasa (see Makefile: test)
collect_ignore = ["rasa_components"]
_user_ids = itertools.count(100_001)


@pytest.fixture(scope="session")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[processes.RasaServer]:
    if not processes.MODEL.exists():
        pytest.fail("no trained model: run `make train` (or `make setup`) first")
    with processes.rasa_server(tmp_path_factory.mktemp("rasa")) as server:
        yield server


@pytest.fixture(scope="session", params=DATABASE_BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("sqlite")) as url:
        yield url


@pytest.fixture(scope="session")
def action_server(
    rasa: processes.RasaServer, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    with processes.action_server(rasa.action_port, database_url, log):
        yield


@pytest.fixture(scope="session")
async def telegram_double(database_url: str) -> AsyncIterator[BotApiDouble]:
    # One double per database: case numbers restart with each database, and so would
    # the mediators' topic names, so a shared double would mix both runs' topics.
    double = BotApiDouble()
    await double.start()
    yield double
    await double.stop()


@dataclass
class Stack:
    settings: Settings
    telegram: BotApiDouble
    web_url: str
    database: Database


def stack_settings(
    rasa: processes.RasaServer,
    database_url: str,
    telegram: BotApiDouble,
    key_dir: Path,
) -> Settings:
    return load_settings(
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.base_url,
        telegram_api_file_url=telegram.file_url,
        rasa_url=rasa.url,
        rasa_auth_token=rasa.token,
        web_port=processes.free_port(),
        pseudonym_key=f"test-pseudonym-key-{database_url}",
        pseudonym_key_file=key_dir / "pseudonym.key",
        mediators_chat_id=MEDIATORS_CHAT_ID,
        # the double has no flood limit: Telegram's 20 a minute would make tests wait
        telegram_group_messages_per_minute=600,
        handoff_relay_interval_seconds=0.2,
        handoff_escalate_after_minutes=0.05,
        # the test Rasa's store (its own temporary file), for the person's erasure
        rasa_tracker_database_url=rasa.tracker_url or None,
        text_key_file=key_dir / "text.key",
        session_key="test-session-key-0123456789abcdef0123456789",
        # every test's web chat comes from 127.0.0.1: the limits per address are tested on
        # apps of their own (tests/e2e/test_abuse.py)
        webchat_messages_per_minute=100_000,
        webchat_new_people_per_hour=100_000,
        webchat_open_cases_per_address=100_000,
        telegram_startup_retry_seconds=0.5,
    )


async def start_app(settings: Settings) -> web.AppRunner:
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    return runner


@pytest.fixture(scope="session")
async def stack(
    rasa: processes.RasaServer,
    action_server: None,
    database_url: str,
    telegram_double: BotApiDouble,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    settings = stack_settings(rasa, database_url, telegram_double, tmp_path_factory.mktemp("keys"))
    runner = await start_app(settings)
    database = Database(database_url, load_sealer(True, settings.text_key_file))
    yield Stack(settings, telegram_double, f"http://127.0.0.1:{settings.web_port}", database)
    await database.dispose()
    await runner.cleanup()


Expect = int | Callable[[list[BotCall]], bool]


class Chat:
    """A person talking to the bot through the Bot API double.

    Each exchange says what it expects back: a number of messages (1 by default), or a
    condition on the replies so far (e.g. "the last one carries the menu buttons"). The
    answer is awaited with a deadline, never guessed from a quiet moment."""

    def __init__(self, telegram: BotApiDouble, language_code: str | None) -> None:
        self.telegram = telegram
        self.user = TelegramUser(id=next(_user_ids), language_code=language_code)

    async def _exchange(
        self, push: Callable[[], object], expect: Expect, chat_id: int | None = None
    ) -> list[BotCall]:
        chat_id = self.user.id if chat_id is None else chat_id
        before = len(self.telegram.sent_to(chat_id))
        push()
        if isinstance(expect, int):
            return await self.telegram.replies(chat_id, before, count=expect)
        return await self.telegram.replies(chat_id, before, until=expect)

    async def say(self, text: str, expect: Expect = 1) -> list[BotCall]:
        return await self._exchange(lambda: self.telegram.send_text(self.user, text), expect)

    async def edit(self, text: str, expect: Expect = 1) -> list[BotCall]:
        return await self._exchange(lambda: self.telegram.edit_text(self.user, text), expect)

    async def press(self, callback_data: str, expect: Expect = 1) -> list[BotCall]:
        return await self._exchange(lambda: self.telegram.press(self.user, callback_data), expect)

    async def share_location(
        self, latitude: float, longitude: float, expect: Expect = 1
    ) -> list[BotCall]:
        return await self._exchange(
            lambda: self.telegram.send_location(self.user, latitude, longitude), expect
        )

    async def send_media(
        self, kind: str, expect: Expect = 1, caption: str | None = None
    ) -> list[BotCall]:
        return await self._exchange(
            lambda: self.telegram.send_media(self.user, kind, caption), expect
        )

    async def say_in_group(self, text: str, expect: Expect = 1) -> list[BotCall]:
        return await self._exchange(
            lambda: self.telegram.send_group_text(self.user, text), expect, chat_id=GROUP_CHAT_ID
        )


def ends_with_follow_ups(replies: list[BotCall]) -> bool:
    """An answer with service cards is complete when its last card offers the menu."""
    return any(b.get("callback_data") == "menu" for b in replies[-1].buttons)


@pytest.fixture
def chat_factory(stack: Stack):  # type: ignore[no-untyped-def]
    def make(language_code: str | None = "en") -> Chat:
        return Chat(stack.telegram, language_code)

    return make


@pytest.fixture
async def app_factory(stack: Stack, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Another app process on the stack's database and Rasa, with its own settings (e.g. a
    trusted reverse proxy, a public HTTPS address, low limits). No Telegram, and no
    background work: the stack's own app runs the relay."""
    runners: list[web.AppRunner] = []

    async def start(**overrides: object) -> str:
        values = {
            "database_url": stack.settings.database_url,
            "rasa_url": stack.settings.rasa_url,
            "rasa_auth_token": stack.settings.rasa_token,
            "web_port": processes.free_port(),
            "pseudonym_key": stack.settings.pseudonym_key.get_secret_value()  # type: ignore[union-attr]
            if stack.settings.pseudonym_key
            else None,
            "pseudonym_key_file": tmp_path / "pseudonym.key",
            "text_key_file": stack.settings.text_key_file,
            "session_key": "another-app-session-key-0123456789abcdef",
            "run_background_work": False,
            "rasa_tracker_database_url": None,
            **overrides,
        }
        settings = load_settings(**values)
        runners.append(await start_app(settings))
        return f"http://127.0.0.1:{settings.web_port}"

    yield start
    for runner in runners:
        await runner.cleanup()
