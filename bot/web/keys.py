"""Typed keys of the aiohttp application's shared state."""

from __future__ import annotations

from aiohttp import web

from bot.channels.telegram import TelegramRunner
from bot.channels.webchat import WebChat, WebChatInbox
from bot.conversation import Conversation
from bot.core.rasa_client import RasaClient
from bot.handoff.desk import HandoffDesk
from bot.handoff.events import CaseEvents
from bot.handoff.relay import Relay
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.limits import Limits
from bot.privacy.person import PrivacyDesk
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from bot.shared import SharedState

settings_key = web.AppKey("settings", Settings)
database_key = web.AppKey("database", Database)
conversation_key = web.AppKey("conversation", Conversation)
rasa_key = web.AppKey("rasa", RasaClient)
catalogs_key = web.AppKey("catalogs", Catalogs)
desk_key = web.AppKey("desk", HandoffDesk)
relay_key = web.AppKey("relay", Relay)
events_key = web.AppKey("events", CaseEvents)
telegram_key = web.AppKey("telegram", TelegramRunner)
inbox_key = web.AppKey("webchat_inbox", WebChatInbox)
webchat_key = web.AppKey("webchat", WebChat)
pseudonymizer_key = web.AppKey("pseudonymizer", Pseudonymizer)
limits_key = web.AppKey("limits", Limits)
privacy_key = web.AppKey("privacy", PrivacyDesk)
shared_key = web.AppKey("shared", SharedState)
