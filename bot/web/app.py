"""aiohttp app factory. Lifetimes (database, Rasa client, Telegram, background work) live in
`cleanup_ctx`; everything the handlers share is built once here and kept under typed keys."""

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

from bot.analytics.backfill import backfill_once
from bot.analytics.reach_years import close_years
from bot.analytics.recorder import FactRecorder
from bot.channels.mediators import MediatorGroup
from bot.channels.telegram import CHANNEL, TelegramChannel, TelegramRunner, build_application
from bot.channels.telegram_delivery import TelegramMediatorBoard, TelegramPeople
from bot.channels.webchat import CHANNEL as WEB_CHANNEL
from bot.channels.webchat import WebChat, WebChatInbox, WebChatLimits
from bot.conversation import CommitBeforeRasa, Conversation, ConversationConfig
from bot.core.assistant import Assistant, AssistantConfig
from bot.core.rasa_client import RasaClient
from bot.core.render import Renderer
from bot.core.users import UserStore
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore
from bot.handoff.desk import DeskConfig, HandoffDesk
from bot.handoff.relay import Relay, RelayConfig
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.kb.sealed import load_sealer
from bot.kb.unanswered import UnansweredLog
from bot.limits import Limits
from bot.privacy.access import DataAccess
from bot.privacy.erasure import Eraser
from bot.privacy.log import PrivacyLog
from bot.privacy.person import PrivacyConfig, PrivacyDesk, Withdraw
from bot.privacy.rekey import Renamer
from bot.privacy.retention import purge
from bot.pseudonym import Pseudonymizer, load_or_create_key, read_previous_keys
from bot.settings import Settings
from bot.shared import shared_state
from bot.staff.sessions import StaffSessions
from bot.staff.sign_in_limits import SignInLimiter
from bot.web import security
from bot.web.admin import add_admin_routes
from bot.web.auth import auth_middleware
from bot.web.console import add_console_routes
from bot.web.errors import staff_errors
from bot.web.keys import (
    catalogs_key,
    conversation_key,
    database_key,
    desk_key,
    events_key,
    inbox_key,
    limits_key,
    privacy_key,
    pseudonymizer_key,
    rasa_key,
    relay_key,
    settings_key,
    shared_key,
    telegram_key,
    webchat_key,
)
from bot.web.notice import add_notice_routes
from bot.web.operations import add_operations_routes
from bot.web.pages import limiter_key
from bot.web.scaling import accept_update, add_shared_work, intake_key
from bot.workspace.uploads import purge_expired_uploads
from rasa_components.sealing import TextSealer

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
WEBHOOK_PATH = "/telegram/webhook"
RETENTION_INTERVAL_SECONDS = 24 * 3600
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # staff upload PO and CSV files of up to 5 MB


def create_app(settings: Settings, *, limits: Limits | None = None) -> web.Application:
    """The app; `limits` shared between workers in production (else kept in this process)."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app[settings_key] = settings
    app[pseudonymizer_key] = Pseudonymizer(
        pseudonym_key(settings), read_previous_keys(settings.previous_pseudonym_keys_file)
    )
    app[shared_key] = shared = shared_state(settings)  # in Redis with `redis_url`
    app[limits_key] = limits = limits or shared.limits
    app[database_key] = database = Database(settings.database_url, text_sealer(settings))
    sessions = StaffSessions(database, dt.timedelta(hours=settings.staff_session_hours))
    app.middlewares.extend(
        [
            security.forwarding_middleware(settings.trusted_proxies),
            auth_middleware(
                app, session_secret(settings), sessions, always_secure=settings.public_is_https
            ),
            staff_errors,
        ]
    )
    app[limiter_key] = SignInLimiter(
        limits, settings.sign_in_free_attempts, settings.sign_in_address_ceiling
    )
    app.on_response_prepare.append(security.add_security_headers)
    app.cleanup_ctx.append(_shared_lifetime)
    app.cleanup_ctx.append(_core_lifetime)
    if settings.telegram_enabled:
        app.cleanup_ctx.append(_telegram_lifetime)
    if settings.redis_url:  # production: the intake, and the relay once across workers
        add_shared_work(app, lambda: purge_expired(app))
    elif settings.run_background_work:
        app.cleanup_ctx.append(_relay_lifetime)  # after Telegram: every channel is registered
        app.cleanup_ctx.append(_retention_lifetime)
    app.router.add_get("/", _chat_page)
    app.router.add_post("/api/chat", _chat_message)
    app.router.add_get("/api/chat/inbox", _chat_inbox)
    add_operations_routes(app)
    app.router.add_post(WEBHOOK_PATH, _telegram_webhook)
    app.router.add_static("/static", STATIC_DIR)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    add_console_routes(app)
    add_admin_routes(app)
    add_notice_routes(app)
    return app


def session_secret(settings: Settings) -> bytes:
    if settings.session_key is not None:
        return settings.session_key.get_secret_value().encode()
    return pseudonym_key(settings)


def text_sealer(settings: Settings) -> TextSealer | None:
    return load_sealer(settings.encrypt_texts, settings.text_key_file)


def pseudonym_key(settings: Settings) -> bytes:
    configured = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return load_or_create_key(configured, settings.pseudonym_key_file)


async def _core_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    database = app[database_key]
    limits = app[limits_key]
    rasa = RasaClient(
        settings.rasa_servers,
        settings.rasa_timeout_seconds,
        settings.rasa_token,
        settings.rasa_down_seconds,
        settings.rasa_concurrency_per_server,
    )
    await rasa.start()
    catalogs = Catalogs()
    users = UserStore(database)
    facts = FactRecorder(database)
    cases = CaseStore(database, facts.case_event)
    addresses = AddressBox(pseudonym_key(settings), database.sealer)
    events = app[shared_key].events
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
        DeskConfig(
            settings.time_zone,
            tuple(settings.bridge_languages),
            settings.webchat_open_cases_per_address,
        ),
        cases,
        users,
        database,
        addresses,
        events,
        relay.poke,
    )
    renderer = Renderer(database)
    assistant = Assistant(
        AssistantConfig(settings.default_language, settings.max_text_chars),
        users,
        CommitBeforeRasa(rasa, database),
        renderer,
        catalogs,
        UnansweredLog(database),
    )
    privacy = build_privacy_desk(settings, database, rasa, relay.withdraw, renderer)
    conversation = Conversation(
        ConversationConfig(settings.default_language, settings.person_messages_per_minute),
        users,
        catalogs,
        assistant,
        desk,
        SafeguardingLexicon.load(),
        limits,
        privacy,
        facts,
        database,
    )
    app[rasa_key] = rasa
    app[catalogs_key] = catalogs
    app[events_key] = events
    app[relay_key] = relay
    app[desk_key] = desk
    app[privacy_key] = privacy
    app[conversation_key] = conversation
    inbox = WebChatInbox(catalogs.localizer(settings.staff_language), app[shared_key].pending)
    relay.people[WEB_CHANNEL] = inbox
    app[inbox_key] = inbox
    app[webchat_key] = WebChat(
        conversation,
        app[pseudonymizer_key],
        limits,
        WebChatLimits(settings.webchat_messages_per_minute, settings.webchat_new_people_per_hour),
    )
    yield
    await rasa.close()
    await database.dispose()


def build_privacy_desk(
    settings: Settings,
    database: Database,
    rasa: RasaClient | None,
    withdraw: Withdraw | None,
    renderer: Renderer | None,
) -> PrivacyDesk:
    """The person's notice, access and erasure (also used by `python -m bot.privacy`)."""
    config = PrivacyConfig(
        controller=settings.privacy_controller_name,
        contact=settings.privacy_controller_contact,
        dpo=settings.privacy_dpo_contact,
        retention_days=settings.retention_days,
        public_url=settings.public_url or f"http://{settings.web_host}:{settings.web_port}",
    )
    return PrivacyDesk(
        config,
        Eraser(database, settings.rasa_tracker_database_url),
        DataAccess(database, rasa.conversation if rasa else None),
        PrivacyLog(database),
        withdraw,
        renderer,
        Renamer(database, settings.rasa_tracker_database_url),
    )


async def _shared_lifetime(app: web.Application) -> AsyncIterator[None]:
    shared = app[shared_key]
    await shared.start()
    yield
    await shared.close()


async def purge_expired(app: web.Application) -> None:
    """What is older than the retention period (the cases' topics with them), expired
    uploads and past years' salts of the people counts (errors logged)."""
    settings, database = app[settings_key], app[database_key]
    try:
        # statistics from the data still kept, once, before anything is deleted
        await backfill_once(database)
    except Exception:
        logger.exception("statistics backfill failed")
    try:
        report = await purge(database, settings.retention_days, settings.rasa_tracker_database_url)
        for thread_id in report.topics:  # the topics go with their cases
            await app[relay_key].delete_topic(thread_id)
        await purge_expired_uploads(database)
        await close_years(database)  # the salts of past years' people counts
    except Exception:
        logger.exception("retention purge failed; trying again tomorrow")


async def _retention_lifetime(app: web.Application) -> AsyncIterator[None]:
    """Deletes what is older than the retention period at start-up, then once a day."""

    async def every_day() -> None:
        while True:
            await purge_expired(app)
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


async def _telegram_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    conversation = app[conversation_key]
    channel = TelegramChannel(conversation, app[pseudonymizer_key])
    application = build_application(settings, channel, app[limits_key])
    relay = app[relay_key]
    relay.people[CHANNEL] = TelegramPeople(application.bot, settings.mediators_chat_id)
    if settings.mediators_chat_id is not None:
        staff = app[catalogs_key].localizer(settings.staff_language)
        MediatorGroup(app[desk_key], settings.mediators_chat_id, staff).register(application)
        relay.board = TelegramMediatorBoard(application.bot, settings.mediators_chat_id, staff)
    runner = TelegramRunner(application, conversation, settings, WEBHOOK_PATH)
    app[telegram_key] = runner
    runner.start()
    yield
    await runner.stop()


async def _chat_page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "chat.html")


async def _chat_message(request: web.Request) -> web.Response:
    return await request.app[webchat_key].post_message(request)


async def _chat_inbox(request: web.Request) -> web.Response:
    return await request.app[inbox_key].get_inbox(request)


async def _telegram_webhook(request: web.Request) -> web.Response:
    app = request.app
    settings = app[settings_key]
    if telegram_key not in app or not settings.telegram_webhook_url:
        raise web.HTTPNotFound()
    expected = settings.telegram_webhook_secret
    received = request.headers.get(SECRET_HEADER, "")
    if expected is None or not hmac.compare_digest(received, expected.get_secret_value()):
        raise web.HTTPForbidden()
    runner = app[telegram_key]
    if not runner.application.running:
        raise web.HTTPServiceUnavailable()  # still connecting: Telegram delivers it again
    try:
        data: Any = await request.json()
        update = Update.de_json(data, runner.application.bot)
    except (ValueError, TypeError, KeyError):
        raise web.HTTPBadRequest() from None
    if intake_key in app:  # production: stored in Redis, handled by a partition's owner
        return await accept_update(app[intake_key], update, data)
    await runner.application.update_queue.put(update)
    return web.Response()
