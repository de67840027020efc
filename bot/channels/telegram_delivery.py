"""Handoff deliveries over Telegram: to the person's private chat and to the mediators' forum.

Errors of the Bot API are sorted for the relay: rate limits, network errors and 5xx are
transient (retry later, in order); a bad request or a blocked bot is permanent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram_send import inline_keyboard, send_all
from bot.core.markup import Markup
from bot.core.messages import Outbound, telegram_message_id
from bot.handoff import texts
from bot.handoff.models import CaseMessage, HandoffCase
from bot.handoff.relay import PermanentDeliveryError, TransientDeliveryError
from bot.i18n import Localizer


@contextlib.contextmanager
def delivery_errors() -> Iterator[None]:
    try:
        yield
    except (RetryAfter, TimedOut) as error:
        raise TransientDeliveryError(str(error)) from error
    except BadRequest as error:
        raise PermanentDeliveryError(str(error)) from error
    except NetworkError as error:  # includes 5xx answers of the Bot API
        raise TransientDeliveryError(str(error)) from error
    except Forbidden as error:
        raise PermanentDeliveryError(str(error)) from error
    except TelegramError as error:
        raise TransientDeliveryError(str(error)) from error


# what the console's media route answers with, by the kind of a case message
MEDIA_TYPES = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video_note": "video/mp4",
    "video": "video/mp4",
    "animation": "video/mp4",
    "photo": "image/jpeg",
}
MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


async def download_file(bot: Bot, file_id: str) -> bytes:
    """A file a person sent, fetched from Telegram into memory (never written to disk)."""
    with delivery_errors():
        file = await bot.get_file(file_id)
        if file.file_size is not None and file.file_size > MAX_FILE_BYTES:
            raise PermanentDeliveryError("file too large")
        return bytes(await file.download_as_bytearray())


class TelegramPeople:
    """The person's side: their private chat with the bot."""

    def __init__(self, bot: Bot, mediators_chat_id: int | None) -> None:
        self._bot = bot
        self._mediators_chat_id = mediators_chat_id

    async def send(self, address: str, messages: Sequence[Outbound]) -> None:
        with delivery_errors():
            await send_all(self._bot, int(address), messages)

    async def relay_to_person(self, address: str, message: CaseMessage) -> None:
        source = telegram_message_id(message.origin)
        with delivery_errors():
            if source is not None and self._mediators_chat_id is not None:
                await self._bot.copy_message(
                    chat_id=int(address),
                    from_chat_id=self._mediators_chat_id,
                    message_id=source,
                )
            else:
                await self._bot.send_message(int(address), message.text)


class TelegramMediatorBoard:
    """The mediators' supergroup: one forum topic per case."""

    def __init__(self, bot: Bot, chat_id: int, staff: Localizer) -> None:
        self._bot = bot
        self.chat_id = chat_id
        self._staff = staff

    async def announce(self, case: HandoffCase, card: Markup) -> int | None:
        with delivery_errors():
            topic = await self._bot.create_forum_topic(
                self.chat_id, texts.topic_name(case, self._staff)
            )
            thread_id = topic.message_thread_id
            await self._bot.send_message(
                self.chat_id,
                str(card),
                message_thread_id=thread_id,
                parse_mode=ParseMode.HTML,
                reply_markup=inline_keyboard(texts.take_buttons(self._staff, case.id)),
            )
        return thread_id

    async def relay_from_person(
        self, case: HandoffCase, message: CaseMessage, person_address: str | None
    ) -> None:
        source = telegram_message_id(message.origin)
        with delivery_errors():
            if source is not None and person_address is not None:
                await self._bot.copy_message(
                    chat_id=self.chat_id,
                    from_chat_id=int(person_address),
                    message_id=source,
                    message_thread_id=case.forum_thread_id,
                )
            else:
                await self._bot.send_message(
                    self.chat_id,
                    texts.message_placeholder(self._staff, message),
                    message_thread_id=case.forum_thread_id,
                )

    async def mirror(self, case: HandoffCase, message: CaseMessage) -> None:
        author = message.author.display_name if message.author else "—"
        await self.notify(case, Markup("🧑‍💼 {}: {}").format(author, message.text))

    async def notify(self, case: HandoffCase, text: Markup) -> None:
        with delivery_errors():
            await self._bot.send_message(
                self.chat_id,
                str(text),
                message_thread_id=case.forum_thread_id,
                parse_mode=ParseMode.HTML,
            )

    async def close_topic(self, case: HandoffCase, text: Markup) -> None:
        await self.notify(case, text)
        with delivery_errors():
            await self._bot.close_forum_topic(self.chat_id, case.forum_thread_id)  # type: ignore[arg-type]

    async def escalate(self, case: HandoffCase, text: Markup) -> None:
        with delivery_errors():
            await self._bot.send_message(
                self.chat_id, str(Markup("⏰ ") + text), parse_mode=ParseMode.HTML
            )
