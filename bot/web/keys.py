"""Typed keys of the aiohttp application's shared state."""

from __future__ import annotations

from aiohttp import web
from telegram.ext import Application

from bot.channels.webchat import WebChatInbox
from bot.core.conversation import ConversationCore
from bot.core.rasa_client import RasaClient
from bot.handoff.desk import HandoffDesk
from bot.handoff.events import CaseEvents
from bot.handoff.relay import Relay
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.settings import Settings

settings_key = web.AppKey("settings", Settings)
database_key = web.AppKey("database", Database)
core_key = web.AppKey("core", ConversationCore)
rasa_key = web.AppKey("rasa", RasaClient)
catalogs_key = web.AppKey("catalogs", Catalogs)
desk_key = web.AppKey("desk", HandoffDesk)
relay_key = web.AppKey("relay", Relay)
events_key = web.AppKey("events", CaseEvents)
telegram_key = web.AppKey("telegram", Application)  # type: ignore[var-annotated]
inbox_key = web.AppKey("webchat_inbox", WebChatInbox)
