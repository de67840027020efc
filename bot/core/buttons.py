"""Typed button payloads: what a button sends back when it is pressed.

Each kind of button is a small frozen class with a prefix and typed fields; `pack()` writes
it as Telegram's `callback_data` ("t:job", "rate:12:5", "case:close:12:resolved"), checking
the 64-byte limit when the button is made; `unpack()` reads a payload back, once, at the
channel's boundary. A payload that is forged, stale or unknown unpacks to `None`, and the
router answers it with the menu in the person's language. (The idea of aiogram's
`CallbackData`, without aiogram.)

The strings are a protocol with buttons already sitting in people's chats: keep them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from bot.i18n import SUPPORTED_LANGUAGES
from bot.kb.models import Topic

MAX_BYTES = 64  # Telegram's limit for callback_data
MAX_ID = 2**31 - 1  # database integer ids
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
OUTCOMES = ("resolved", "referred", "no_reply", "other")
RATINGS = range(1, 6)


class ButtonData:
    """Base of every payload. Subclasses are dataclasses whose fields say how they are read
    back (`_field`); the fields are packed in order, separated by ":"."""

    prefix: ClassVar[str]

    def pack(self) -> str:
        values = [_pack_value(getattr(self, f.name)) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        packed = ":".join([self.prefix, *(v for v in values if v is not None)])
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"button payload longer than {MAX_BYTES} bytes: {packed[:20]}…")
        return packed

    @classmethod
    def _from_parts(cls, parts: list[str]) -> ButtonData | None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        required = [f for f in fields if f.default is dataclasses.MISSING]
        if not len(required) <= len(parts) <= len(fields):
            return None
        values: dict[str, Any] = {}
        for field, part in zip(fields, parts, strict=False):
            value = field.metadata["read"](part)
            if value is None:
                return None
            values[field.name] = value
        return cls(**values)


def _pack_value(value: object) -> str | None:
    if value is None:
        return None
    return value.value if isinstance(value, Topic) else str(value)


def _read_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None


def _read_topic(text: str) -> Topic | None:
    return Topic(text) if text in {t.value for t in Topic} else None


def _read_language(text: str) -> str | None:
    return text if text in SUPPORTED_LANGUAGES else None


def _read_slug(text: str) -> str | None:
    return text if SLUG.match(text) else None


def _read_outcome(text: str) -> str | None:
    return text if text in OUTCOMES else None


def _read_rating(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) == 1 and int(text) in RATINGS else None


def _field(read: Callable[[str], object | None]) -> Any:
    """A required field, read back by `read` (None: not a valid value)."""
    return dataclasses.field(metadata={"read": read})


_REGISTRY: dict[str, type[ButtonData]] = {}
B = TypeVar("B", bound=type[ButtonData])


def button(prefix: str) -> Callable[[B], B]:
    def register(cls: B) -> B:
        cls.prefix = prefix
        _REGISTRY[prefix] = cls
        return cls

    return register


def unpack(data: str | None) -> ButtonData | None:
    """The payload a pressed button sent, or None when it is not one of ours."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    for prefix in sorted(_REGISTRY, key=len, reverse=True):
        if data == prefix or data.startswith(prefix + ":"):
            rest = data[len(prefix) + 1 :]
            return _REGISTRY[prefix]._from_parts(rest.split(":") if rest else [])
    return None


# --- the person's buttons -------------------------------------------------------------


@button("t")
@dataclass(frozen=True)
class AskTopic(ButtonData):
    topic: Topic = _field(_read_topic)


@button("city")
@dataclass(frozen=True)
class ChooseCity(ButtonData):
    slug: str = _field(_read_slug)


@button("lang")
@dataclass(frozen=True)
class ChooseLanguage(ButtonData):
    language: str = _field(_read_language)


@button("menu")
@dataclass(frozen=True)
class ShowMenu(ButtonData):
    pass


@button("human")
@dataclass(frozen=True)
class TalkToPerson(ButtonData):
    pass


@button("pick:lang")
@dataclass(frozen=True)
class PickLanguage(ButtonData):
    pass


@button("pick:city")
@dataclass(frozen=True)
class PickCity(ButtonData):
    pass


# --- handing over to a mediator ------------------------------------------------------


@button("ho:yes")
@dataclass(frozen=True)
class ConfirmHandoff(ButtonData):
    topic: Topic | None = dataclasses.field(default=None, metadata={"read": _read_topic})


@button("ho:no")
@dataclass(frozen=True)
class DeclineHandoff(ButtonData):
    pass


@button("ho:bridge")
@dataclass(frozen=True)
class ChooseBridge(ButtonData):
    """A mediator in a bridge language now ("en"), or wait for one's own ("no")."""

    # None: "no", wait for a mediator who speaks mine
    language: str | None = dataclasses.field(default=None, metadata={"read": _read_language})

    def pack(self) -> str:
        return f"{self.prefix}:{self.language or 'no'}"

    @classmethod
    def _from_parts(cls, parts: list[str]) -> ButtonData | None:
        if parts == ["no"]:
            return cls(None)
        return super()._from_parts(parts)


@button("ho:leave")
@dataclass(frozen=True)
class LeaveHandoff(ButtonData):
    pass


@button("rate")
@dataclass(frozen=True)
class RateHelp(ButtonData):
    case_id: int = _field(_read_id)
    stars: int = _field(_read_rating)


# --- mediators, in their Telegram group -----------------------------------------------


@button("case:take")
@dataclass(frozen=True)
class TakeCase(ButtonData):
    case_id: int = _field(_read_id)


@button("case:close")
@dataclass(frozen=True)
class CloseCase(ButtonData):
    case_id: int = _field(_read_id)
    outcome: str = _field(_read_outcome)


# --- the person's privacy ---------------------------------------------------------------


@button("forget:yes")
@dataclass(frozen=True)
class ConfirmForget(ButtonData):
    """Delete everything the service keeps about me (asked once more before)."""


@button("forget:no")
@dataclass(frozen=True)
class CancelForget(ButtonData):
    pass
