"""What a channel hands to the core, and what the core hands back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class InboundKind(enum.StrEnum):
    TEXT = "text"  # free text; text starting with "/" is a command
    BUTTON = "button"
    LOCATION = "location"
    VOICE = "voice"
    STICKER = "sticker"
    MEDIA = "media"  # photos, videos, documents, anything else with a file


@dataclass(frozen=True)
class Inbound:
    user: str  # keyed pseudonym, never a channel's own user id
    channel: str
    kind: InboundKind
    text: str = ""
    data: str = ""  # button payload
    latitude: float | None = None
    longitude: float | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code, a browser's language
    # for the handoff relay: the channel's id of this message ("1234", "1234:edit:1700000000"),
    # what kind of media it carries and the channel's file id
    origin: str = ""
    media: str = ""  # photo, document, voice, audio, video, video_note, sticker, location
    file_id: str | None = None
    # how to reach the person again (e.g. the Telegram chat id); stored only encrypted
    address: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # callback payload, at most 64 bytes
    url: str | None = None


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass
class Outbound:
    """One message to show. `text` is a small HTML subset (<b>, <i>) with all data escaped."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    request_location: bool = False  # offer a "share my location" keyboard button
    remove_keyboard: bool = False
    venue: Venue | None = None
    location_button_label: str = ""
