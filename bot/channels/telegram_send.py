"""Sending to Telegram: one keyboard builder and one way to send messages, for every path
(answers to people, the handoff relay, posts in the mediators' group)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit, ParseMode

from bot.core.messages import Button, Outbound

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Buttons that send a payload back, and buttons that open a link (a map)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.label, url=button.url)
                if button.url
                else InlineKeyboardButton(button.label, callback_data=button.data)
                for button in row
            ]
            for row in rows
        ]
    )


def reply_markup(outbound: Outbound) -> ReplyMarkup | None:
    if outbound.request_location:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(outbound.location_button_label, request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if outbound.buttons:
        return inline_keyboard(outbound.buttons)
    if outbound.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


async def send_all(
    bot: Bot, chat_id: int, messages: Sequence[Outbound], thread_id: int | None = None
) -> None:
    for outbound in messages:
        if outbound.venue is not None:
            venue = outbound.venue
            await bot.send_venue(
                chat_id,
                latitude=venue.latitude,
                longitude=venue.longitude,
                title=venue.title[:256],
                address=venue.address[:256],
                message_thread_id=thread_id,
            )
        chunks = split_text(str(outbound.text))
        for index, chunk in enumerate(chunks):
            await bot.send_message(
                chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup(outbound) if index == len(chunks) - 1 else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                message_thread_id=thread_id,
            )
        for document in outbound.documents:
            await bot.send_document(
                chat_id,
                InputFile(document.content, filename=document.filename),
                message_thread_id=thread_id,
            )


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
