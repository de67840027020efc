"""Commands ("/start", "/menu@lgnet_bot", "/close resolved"), parsed once, where a text
arrives. Whatever starts with "/" is a command for the app, never an intent for Rasa."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Command:
    name: str  # lower case, without "/" or "@bot"; "" when it is not a valid command name
    argument: str = ""


def looks_like_command(text: str) -> bool:
    """Starts with a slash, also a full-width one or one behind invisible characters."""
    visible = text.lstrip().lstrip("".join(_INVISIBLE))
    return unicodedata.normalize("NFKC", visible[:1]) == "/"


def parse_command(text: str) -> Command | None:
    if not looks_like_command(text):
        return None
    visible = unicodedata.normalize("NFKC", text.lstrip().lstrip("".join(_INVISIBLE)))
    head, _, argument = visible[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return Command(name if NAME.match(name) else "", argument.strip())


_INVISIBLE = (
    *("\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
)
