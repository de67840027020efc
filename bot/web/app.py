"""aiohttp app factory. Lifetimes (database, Rasa client, Telegram) live in `cleanup_ctx`."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram import TelegramChannel, build_application, publish_commands
from bot.channels.webchat import WebChat
from bot.core.conversation import ConversationCore, CoreConfig
from bot.core.rasa_client import RasaClient
from bot.core.render import Renderer
from bot.core.users import UserStore
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

settings_key = web.AppKey("settings", Settings)
database_key = web.AppKey("database", Database)
core_key = web.AppKey("core", ConversationCore)
rasa_key = web.AppKey("rasa", RasaClient)
telegram_key = web.AppKey("telegram", Application)  # type: ignore[var-annotated]


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)
    app[settings_key] = settings
    app.cleanup_ctx.append(_core_lifetime)
    if settings.telegram_enabled:
        app.cleanup_ctx.append(_telegram_lifetime)
    app.router.add_get("/", _chat_page)
    app.router.add_post("/api/chat", _chat_message)
    app.router.add_get("/healthz", _health)
    app.router.add_post(WEBHOOK_PATH, _telegram_webhook)
    app.router.add_static("/static", STATIC_DIR)
    return app


async def _core_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    database = Database(settings.database_url)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
    await rasa.start()
    app[database_key] = database
    app[rasa_key] = rasa
    app[core_key] = ConversationCore(
        CoreConfig(settings.default_language, settings.max_text_chars),
        UserStore(database),
        rasa,
        Renderer(database),
        Catalogs(),
    )
    yield
    await rasa.close()
    await database.dispose()


def pseudonymizer(settings: Settings) -> Pseudonymizer:
    configured = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return Pseudonymizer(load_or_create_key(configured, settings.pseudonym_key_file))


async def _telegram_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    channel = TelegramChannel(app[core_key], pseudonymizer(settings))
    application = build_application(settings, channel)
    app[telegram_key] = application
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
