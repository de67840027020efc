"""What a channel hands to the conversation, and what comes back.

A channel parses what arrived once, at its boundary, into an `Inbound` of typed values: the
text cleaned of what no text may hold, a command or a button payload already read, a
location already checked. Nothing further down parses raw input again.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field

from bot.core.buttons import ButtonData
from bot.core.commands import Command
from bot.core.markup import Markup

MAX_TEXT_CHARS = 20_000  # anything longer is cut at the boundary (the core cuts further)
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InboundKind(enum.StrEnum):
    TEXT = "text"
    COMMAND = "command"  # text starting with "/"
    BUTTON = "button"  # `button` is None when the payload was forged or stale
    LOCATION = "location"
    BAD_LOCATION = "bad_location"  # a location that is not one
    VOICE = "voice"
    STICKER = "sticker"
    MEDIA = "media"  # photos, videos, documents, anything else with a file
    UNREADABLE = "unreadable"  # a request that is not a message at all


class Channel(enum.StrEnum):
    TELEGRAM = "telegram"
    WEB = "web"


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float

    @classmethod
    def checked(cls, latitude: object, longitude: object) -> Location | None:
        """A location on Earth, or None for anything else (text, NaN, 999)."""
        values = []
        for value, bound in ((latitude, 90.0), (longitude, 180.0)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            number = float(value)
            if not math.isfinite(number) or abs(number) > bound:
                return None
            values.append(number)
        return cls(values[0], values[1])


@dataclass(frozen=True)
class Inbound:
    user: str  # keyed pseudonym, never a channel's own user id
    channel: str
    kind: InboundKind
    text: str = ""  # the text, or a media's caption
    command: Command | None = None
    button: ButtonData | None = None
    location: Location | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code, a browser's language
    # for the handoff relay: the channel's key of this message ("tg:1234", "tg:1234:e17…",
    # "web:<uuid>"), what kind of media it carries and the channel's file id
    origin: str = ""
    media: str = ""  # photo, document, voice, audio, video, video_note, sticker, location
    file_id: str | None = None
    # how to reach the person again (e.g. the Telegram chat id); stored only encrypted
    address: str = ""
    # web chat: a keyed hash of the client's network address, to cap what one address does
    network: str | None = None
    # the same person's pseudonyms under keys retired by a rotation (usually none)
    earlier_users: tuple[str, ...] = ()

    @property
    def latitude(self) -> float | None:
        return self.location.latitude if self.location else None

    @property
    def longitude(self) -> float | None:
        return self.location.longitude if self.location else None


TELEGRAM_ORIGIN = "tg:"


def telegram_origin(message_id: int, edited_at: int | None = None) -> str:
    """The key of a Telegram message for the relay: its id, and its version if edited."""
    return f"{TELEGRAM_ORIGIN}{message_id}" + (f":e{edited_at}" if edited_at else "")


def telegram_message_id(origin: str) -> int | None:
    """The Telegram message a case message was stored from, if it came from Telegram."""
    if not origin.startswith(TELEGRAM_ORIGIN):
        return None
    number = origin[len(TELEGRAM_ORIGIN) :].split(":", 1)[0]
    return int(number) if number.isdigit() else None


def clean_text(raw: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Text as it may travel on: no lone surrogates, no control characters, not endless."""
    text = _SURROGATES.sub("\ufffd", raw[:limit])
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # a packed `ButtonData`
    url: str | None = None

    @classmethod
    def of(cls, label: str, payload: ButtonData) -> Button:
        return cls(label, payload.pack())


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Document:
    """A file sent with a message (a person's data export): a Telegram document, a download
    in the web chat."""

    filename: str
    content: bytes
    mime_type: str


@dataclass
class Outbound:
    """One message to show: markup (<b>, <i>) with all data escaped, and its buttons."""

    text: Markup
    buttons: list[list[Button]] = field(default_factory=list)
    request_location: bool = False  # offer a "share my location" keyboard button
    remove_keyboard: bool = False
    venue: Venue | None = None
    location_button_label: str = ""
    documents: tuple[Document, ...] = ()  # sent after the text
