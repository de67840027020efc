"""Telegram front-end on python-telegram-bot 22: polling by default, or a webhook.

Handlers are small: each turns an update into one `Inbound` for the conversation core
and sends back what the core answers. The Telegram user id is turned into a keyed
pseudonym before anything else sees it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.core import render
from bot.core.conversation import ConversationCore
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.i18n import SUPPORTED_LANGUAGES
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
TELEGRAM_ORIGIN = "tg:"
MAX_CONCURRENT_UPDATES = 256
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
UpdateCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


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


class TelegramChannel:
    def __init__(self, core: ConversationCore, pseudonymize: Pseudonymizer) -> None:
        self._core = core
        self._pseudonymize = pseudonymize

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE
        message_updates = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
        application.add_handler(
            MessageHandler(filters.ChatType.GROUPS & message_updates, self.on_group_message)
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        handlers: Sequence[tuple[filters.BaseFilter, UpdateCallback]] = (
            (filters.LOCATION | filters.VENUE, self.on_location),
            (filters.TEXT, self.on_text),
            (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE, self.on_voice),
            (filters.Sticker.ALL, self.on_sticker),
            (filters.ALL, self.on_other_media),
        )
        for message_filter, callback in handlers:
            application.add_handler(
                MessageHandler(private & message_updates & message_filter, callback)
            )
        application.add_error_handler(self.on_error)

    # --- handlers ---------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        await self._handle(update, context, InboundKind.TEXT, text=message.text or "")

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.location is not None
        await self._handle(
            update,
            context,
            InboundKind.LOCATION,
            latitude=message.location.latitude,
            longitude=message.location.longitude,
        )

    async def on_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle(update, context, InboundKind.VOICE)

    async def on_sticker(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle(update, context, InboundKind.STICKER)

    async def on_other_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle(update, context, InboundKind.MEDIA)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await self._handle(update, context, InboundKind.BUTTON, data=query.data or "")

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if chat is None:
            return
        loc = self._core.localizer(self._core.hinted_language(user.language_code if user else None))
        link = f"https://t.me/{context.bot.username}" if context.bot.username else None
        await send_all(context.bot, chat.id, render.group_not_supported(loc, link))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # never log the update itself: it carries user ids and names
        logger.error("error while handling an update", exc_info=context.error)

    # --- plumbing ---------------------------------------------------------------------

    async def _handle(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        kind: InboundKind,
        **fields: Any,
    ) -> None:
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        if user is None or chat is None:
            return
        if message is not None and kind != InboundKind.BUTTON:
            media, file_id = media_of(message)
            fields.update(origin=message_origin(message), media=media, file_id=file_id)
        inbound = Inbound(
            user=self._pseudonymize(CHANNEL, user.id),
            channel=CHANNEL,
            kind=kind,
            language_hint=user.language_code,
            address=str(chat.id),
            **fields,
        )
        await send_all(context.bot, chat.id, await self._core.handle(inbound))


def media_of(message: Message) -> tuple[str, str | None]:
    """What a Telegram message carries: (kind, file id)."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in ("document", "voice", "audio", "video", "video_note", "sticker", "animation"):
        attachment = getattr(message, kind)
        if attachment is not None:
            return kind, attachment.file_id
    if message.location is not None:
        return "location", None
    return "text", None


def message_origin(message: Message) -> str:
    """Identifies a message for the handoff relay: its id, and its version if edited."""
    origin = f"{TELEGRAM_ORIGIN}{message.message_id}"
    if message.edit_date is not None:
        origin += f":e{int(message.edit_date.timestamp())}"
    return origin


async def send_all(bot: Bot, chat_id: int, messages: Sequence[Outbound]) -> None:
    for outbound in messages:
        if outbound.venue is not None:
            venue = outbound.venue
            await bot.send_venue(
                chat_id,
                latitude=venue.latitude,
                longitude=venue.longitude,
                title=venue.title[:256],
                address=venue.address[:256],
            )
        chunks = split_text(outbound.text)
        for index, chunk in enumerate(chunks):
            await bot.send_message(
                chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup(outbound) if index == len(chunks) - 1 else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )


def reply_markup(outbound: Outbound) -> ReplyMarkup | None:
    if outbound.request_location:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(outbound.location_button_label, request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if outbound.buttons:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(button.label, url=button.url)
                    if button.url
                    else InlineKeyboardButton(button.label, callback_data=button.data)
                    for button in row
                ]
                for row in outbound.buttons
            ]
        )
    if outbound.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at line breaks so that no message exceeds Telegram's limit."""
    if len(text) <= limit:
        return [text]
    chunks, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return chunks


def build_application(
    settings: Settings, channel: TelegramChannel
) -> Application[Any, Any, Any, Any, Any, Any]:
    assert settings.telegram_bot_token is not None
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .rate_limiter(
            AIORateLimiter(
                group_max_rate=settings.telegram_group_messages_per_minute,
                group_time_period=60,
                max_retries=3,
            )
        )
        .connection_pool_size(64)
        .pool_timeout(10)
    )
    if settings.telegram_webhook_url:
        builder = builder.updater(None)
    application = builder.build()
    channel.register(application)
    return application


async def publish_commands(bot: Bot, core: ConversationCore) -> None:
    """The command menu in every supported language (Telegram shows the user's own)."""
    for language in SUPPORTED_LANGUAGES:
        commands = [
            BotCommand(name, description)
            for name, description in render.command_descriptions(core.localizer(language))
        ]
        await bot.set_my_commands(commands, language_code=language)
    default = render.command_descriptions(core.localizer(core.config.default_language))
    await bot.set_my_commands([BotCommand(name, text) for name, text in default])
