"""Telegram front-end on python-telegram-bot 22: polling by default, or a webhook.

Handlers are small: each turns an update into one `Inbound` for the conversation, parsed
once here (text cleaned, command or button payload read, location checked), and sends
back what the conversation answers. The Telegram user id becomes a keyed pseudonym before
anything else sees it.

Start-up never waits on Telegram: the bot connects in the background, retrying until the
Bot API answers, and publishes its commands and description (optional calls) with retries
of their own, while the web chat and the staff pages already work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import BotCommand, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram_limits import SharedFloodLimiter
from bot.channels.telegram_send import send_all
from bot.conversation import Conversation
from bot.core import buttons, menus, replies
from bot.core.commands import parse_command
from bot.core.messages import (
    Channel,
    Inbound,
    InboundKind,
    Location,
    clean_text,
    telegram_origin,
)
from bot.i18n import SUPPORTED_LANGUAGES
from bot.limits import Limits
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = Channel.TELEGRAM.value
MAX_CONCURRENT_UPDATES = 256
MAX_STARTUP_RETRY_SECONDS = 300.0
UpdateCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
MEDIA_KINDS = ("document", "voice", "audio", "video", "video_note", "sticker", "animation")


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates run concurrently across chats, in arrival order within each chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chat_locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._chat_locks.setdefault(chat.id, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and self._chat_locks.get(chat.id) is lock:
                del self._chat_locks[chat.id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def inbound_from(update: Update, pseudonymize: Pseudonymizer) -> Inbound | None:
    """The one place where a Telegram update becomes an `Inbound` (None: not a person's)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    common: dict[str, Any] = {
        "user": pseudonymize(CHANNEL, user.id),
        "earlier_users": pseudonymize.earlier(CHANNEL, user.id),
        "channel": CHANNEL,
        "language_hint": user.language_code,
        "address": str(chat.id),
    }
    if update.callback_query is not None:
        payload = buttons.unpack(update.callback_query.data)
        return Inbound(kind=InboundKind.BUTTON, button=payload, **common)
    message = update.effective_message
    if message is None:
        return None
    media, file_id = media_of(message)
    edited = int(message.edit_date.timestamp()) if message.edit_date else None
    common |= {
        "origin": telegram_origin(message.message_id, edited),
        "media": media,
        "file_id": file_id,
        "text": clean_text(message.text or message.caption or ""),
    }
    if message.location is not None:
        location = Location.checked(message.location.latitude, message.location.longitude)
        kind = InboundKind.LOCATION if location else InboundKind.BAD_LOCATION
        return Inbound(kind=kind, location=location, **common)
    if message.text is not None:
        command = parse_command(message.text)
        if command is not None:
            return Inbound(kind=InboundKind.COMMAND, command=command, **common)
        return Inbound(kind=InboundKind.TEXT, **common)
    if media in ("voice", "audio", "video_note"):
        return Inbound(kind=InboundKind.VOICE, **common)
    if media == "sticker":
        return Inbound(kind=InboundKind.STICKER, **common)
    return Inbound(kind=InboundKind.MEDIA, **common)


def media_of(message: Message) -> tuple[str, str | None]:
    """What a Telegram message carries: (kind, file id)."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in MEDIA_KINDS:
        attachment = getattr(message, kind)
        if attachment is not None:
            return kind, attachment.file_id
    if message.location is not None:
        return "location", None
    return "text", None


class TelegramChannel:
    def __init__(self, conversation: Conversation, pseudonymize: Pseudonymizer) -> None:
        self._conversation = conversation
        self._pseudonymize = pseudonymize

    def register(self, application: TelegramApplication) -> None:
        private = filters.ChatType.PRIVATE
        message_updates = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
        application.add_handler(
            MessageHandler(filters.ChatType.GROUPS & message_updates, self.on_group_message)
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private & message_updates, self.on_message))
        application.add_error_handler(self.on_error)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle(update, context)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await self._handle(update, context)

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if chat is None:
            return
        language = self._conversation.hinted_language(user.language_code if user else None)
        loc = self._conversation.localizer(language)
        link = f"https://t.me/{context.bot.username}" if context.bot.username else None
        await send_all(context.bot, chat.id, replies.group_not_supported(loc, link))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # never log the update itself: it carries user ids, names and texts
        logger.error("error while handling an update", exc_info=context.error)

    async def _handle(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = inbound_from(update, self._pseudonymize)
        chat = update.effective_chat
        if inbound is None or chat is None:
            return
        await send_all(context.bot, chat.id, await self._conversation.handle(inbound))


def build_application(
    settings: Settings, channel: TelegramChannel, limits: Limits
) -> TelegramApplication:
    """The bot; its flood budgets are windows of `limits` (shared by every worker)."""
    assert settings.telegram_bot_token is not None
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .rate_limiter(SharedFloodLimiter(limits, settings.telegram_group_messages_per_minute))
        .connection_pool_size(64)
        .pool_timeout(10)
    )
    if settings.telegram_webhook_url:
        builder = builder.updater(None)
    application = builder.build()
    channel.register(application)
    return application


async def publish_profile(application: TelegramApplication, conversation: Conversation) -> None:
    """The command menu and description in every supported language (optional calls)."""
    bot = application.bot
    for language in SUPPORTED_LANGUAGES:
        loc = conversation.localizer(language)
        commands = [BotCommand(name, text) for name, text in menus.command_descriptions(loc)]
        await bot.set_my_commands(commands, language_code=language)
        await bot.set_my_description(menus.bot_description(loc)[:512], language_code=language)
    default = conversation.localizer(conversation.config.default_language)
    await bot.set_my_commands(
        [BotCommand(name, text) for name, text in menus.command_descriptions(default)]
    )


async def retrying(what: str, call: Callable[[], Awaitable[object]], first_delay: float) -> None:
    """Call until it succeeds, waiting longer after each failure (Telegram may be down)."""
    delay = first_delay
    while True:
        try:
            await call()
            return
        except (TelegramError, OSError) as error:
            logger.warning(
                "Telegram: %s failed (%s); retrying in %.0f s", what, type(error).__name__, delay
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_STARTUP_RETRY_SECONDS)


class TelegramRunner:
    """Connects the bot in the background and keeps optional calls out of the way."""

    def __init__(
        self,
        application: TelegramApplication,
        conversation: Conversation,
        settings: Settings,
        webhook_path: str,
    ) -> None:
        self.application = application
        self._conversation = conversation
        self._settings = settings
        self._webhook_path = webhook_path
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="telegram-start"))

    async def _run(self) -> None:
        retry = self._settings.telegram_startup_retry_seconds
        await retrying("connecting (getMe)", self.application.initialize, retry)
        await self.application.start()
        await retrying("receiving updates", self._receive_updates, retry)
        self.ready.set()
        logger.info("Telegram bot @%s is running", self.application.bot.username)
        self._tasks.append(
            asyncio.create_task(
                retrying(
                    "publishing commands",
                    lambda: publish_profile(self.application, self._conversation),
                    retry,
                ),
                name="telegram-profile",
            )
        )

    async def _receive_updates(self) -> None:
        settings = self._settings
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await self.application.bot.set_webhook(
                settings.telegram_webhook_url.rstrip("/") + self._webhook_path,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=Update.ALL_TYPES,
            )
            return
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            poll_interval=settings.telegram_poll_interval, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        with contextlib.suppress(Exception):
            await application.shutdown()
