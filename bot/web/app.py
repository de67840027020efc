"""aiohttp app factory. Lifetimes (database, Rasa client, Telegram) live in `cleanup_ctx`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from telegram import Update

from bot.channels.mediators import MediatorGroup
from bot.channels.telegram import CHANNEL, TelegramChannel, build_application, publish_commands
from bot.channels.telegram_delivery import TelegramMediatorBoard, TelegramPeople
from bot.channels.webchat import CHANNEL as WEB_CHANNEL
from bot.channels.webchat import WebChat, WebChatInbox
from bot.core.conversation import ConversationCore, CoreConfig
from bot.core.rasa_client import RasaClient
from bot.core.render import Renderer
from bot.core.users import UserStore
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore
from bot.handoff.desk import DeskConfig, HandoffDesk
from bot.handoff.events import CaseEvents
from bot.handoff.relay import Relay, RelayConfig
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.retention import purge
from bot.settings import Settings
from bot.web.admin import add_admin_routes
from bot.web.auth import setup_auth
from bot.web.console import add_console_routes
from bot.web.keys import (
    catalogs_key,
    core_key,
    database_key,
    desk_key,
    events_key,
    inbox_key,
    rasa_key,
    relay_key,
    settings_key,
    telegram_key,
)
from bot.web.pages import setup_sign_in
from bot.workspace.unanswered import UnansweredLog

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
WEBHOOK_PATH = "/telegram/webhook"
RETENTION_INTERVAL_SECONDS = 24 * 3600
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=6 * 1024 * 1024)  # staff upload PO and CSV files
    app[settings_key] = settings
    app.cleanup_ctx.append(_core_lifetime)
    if settings.telegram_enabled:
        app.cleanup_ctx.append(_telegram_lifetime)
    app.cleanup_ctx.append(_relay_lifetime)  # last: every channel is registered by then
    app.cleanup_ctx.append(_retention_lifetime)
    app.router.add_get("/", _chat_page)
    app.router.add_post("/api/chat", _chat_message)
    app.router.add_get("/api/chat/inbox", _chat_inbox)
    app.router.add_get("/healthz", _health)
    app.router.add_post(WEBHOOK_PATH, _telegram_webhook)
    app.router.add_static("/static", STATIC_DIR)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    setup_auth(app, session_secret(settings), secure=settings.cookie_secure)
    setup_sign_in(app)
    add_console_routes(app)
    add_admin_routes(app)
    return app


def session_secret(settings: Settings) -> bytes:
    if settings.session_key is not None:
        return settings.session_key.get_secret_value().encode()
    return pseudonym_key(settings)


async def _core_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    database = Database(settings.database_url)
    rasa = RasaClient(
        settings.rasa_url,
        settings.rasa_timeout_seconds,
        settings.rasa_auth_token.get_secret_value(),
    )
    await rasa.start()
    catalogs = Catalogs()
    renderer = Renderer(database)
    cases = CaseStore(database)
    addresses = AddressBox(pseudonym_key(settings))
    events = CaseEvents()
    relay = Relay(
        RelayConfig(
            interval_seconds=settings.handoff_relay_interval_seconds,
            escalate_after=dt.timedelta(minutes=settings.handoff_escalate_after_minutes),
            staff_language=settings.staff_language,
        ),
        cases,
        addresses,
        catalogs,
        events,
        rasa.recent_user_texts,
    )
    desk = HandoffDesk(
        DeskConfig(settings.time_zone, tuple(settings.bridge_languages)),
        cases,
        addresses,
        renderer,
        events,
        relay.poke,
    )
    app[database_key] = database
    app[rasa_key] = rasa
    app[catalogs_key] = catalogs
    app[events_key] = events
    app[relay_key] = relay
    app[desk_key] = desk
    inbox = WebChatInbox(catalogs.localizer(settings.staff_language))
    relay.people[WEB_CHANNEL] = inbox
    app[inbox_key] = inbox
    app[core_key] = ConversationCore(
        CoreConfig(settings.default_language, settings.max_text_chars),
        UserStore(database),
        rasa,
        renderer,
        catalogs,
        desk,
        SafeguardingLexicon.load(),
        UnansweredLog(database),
    )
    yield
    await rasa.close()
    await database.dispose()


async def _retention_lifetime(app: web.Application) -> AsyncIterator[None]:
    """Deletes what is older than the retention period at start-up, then once a day."""
    settings = app[settings_key]

    async def every_day() -> None:
        while True:
            try:
                await purge(
                    app[database_key], settings.retention_days, settings.rasa_tracker_database_url
                )
            except Exception:
                logger.exception("retention purge failed; trying again tomorrow")
            await asyncio.sleep(RETENTION_INTERVAL_SECONDS)

    task = asyncio.create_task(every_day(), name="retention")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _relay_lifetime(app: web.Application) -> AsyncIterator[None]:
    relay = app[relay_key]
    relay.start()
    yield
    await relay.stop()


def pseudonym_key(settings: Settings) -> bytes:
    configured = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return load_or_create_key(configured, settings.pseudonym_key_file)


def pseudonymizer(settings: Settings) -> Pseudonymizer:
    return Pseudonymizer(pseudonym_key(settings))


async def _telegram_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    channel = TelegramChannel(app[core_key], pseudonymizer(settings))
    application = build_application(settings, channel)
    app[telegram_key] = application
    relay = app[relay_key]
    relay.people[CHANNEL] = TelegramPeople(application.bot, settings.mediators_chat_id)
    if settings.mediators_chat_id is not None:
        staff = app[catalogs_key].localizer(settings.staff_language)
        MediatorGroup(app[desk_key], settings.mediators_chat_id, staff).register(application)
        relay.board = TelegramMediatorBoard(application.bot, settings.mediators_chat_id, staff)
    await application.initialize()
    await publish_commands(application.bot, app[core_key])
    await application.start()
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        await application.bot.set_webhook(
            settings.telegram_webhook_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=settings.telegram_poll_interval, allowed_updates=Update.ALL_TYPES
        )
    logger.info("Telegram bot @%s is running", application.bot.username)
    yield
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def _chat_page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "chat.html")


async def _chat_message(request: web.Request) -> web.Response:
    app = request.app
    chat = WebChat(app[core_key], pseudonymizer(app[settings_key]))
    return await chat.post_message(request)


async def _chat_inbox(request: web.Request) -> web.Response:
    return await request.app[inbox_key].get_inbox(request)


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "telegram": telegram_key in request.app})


async def _telegram_webhook(request: web.Request) -> web.Response:
    app = request.app
    settings = app[settings_key]
    if telegram_key not in app or not settings.telegram_webhook_url:
        raise web.HTTPNotFound()
    expected = settings.telegram_webhook_secret
    received = request.headers.get(SECRET_HEADER, "")
    if expected is None or not hmac.compare_digest(received, expected.get_secret_value()):
        raise web.HTTPForbidden()
    application = app[telegram_key]
    data: dict[str, Any] = await request.json()
    await application.update_queue.put(Update.de_json(data, application.bot))
    return web.Response()
