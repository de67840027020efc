"""What the assistant needs from the world, as Protocols.

The real implementations are `UserStore` (the database), `RasaClient` (HTTP to Rasa),
`Renderer` (the knowledge base and the catalogs) and `UnansweredLog`; the unit tests pass
in-memory fakes (`tests/unit/fakes.py`) that satisfy the same Protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.core.contract import Answer
from bot.core.messages import Outbound
from bot.core.rasa_client import RasaAnswer
from bot.core.users import Profile
from bot.i18n import Localizer
from bot.kb.models import City


class Profiles(Protocol):
    """The app's memory of each person (language, city, counters), by pseudonym."""

    async def get_or_create(self, pseudonym: str, channel: str, language: str) -> Profile: ...

    async def set_language(self, pseudonym: str, language: str, *, chosen: bool = True) -> None: ...

    async def set_misunderstood(self, pseudonym: str, count: int) -> None: ...

    async def set_handoff_offered(self, pseudonym: str, offered: bool) -> None: ...

    async def set_city(self, pseudonym: str, city_slug: str) -> City | None: ...


class Dialogue(Protocol):
    """Rasa: the person's words (never read as an intent), or an intent the app chose."""

    async def send_text(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer: ...

    async def send_intent(
        self, sender: str, intent: str, metadata: dict[str, Any], entities: dict[str, str]
    ) -> RasaAnswer: ...


class AnswerRenderer(Protocol):
    """Turns Rasa's typed answers into messages in the person's language."""

    async def render(self, loc: Localizer, answer: Answer) -> list[Outbound]: ...

    async def cities(self) -> Sequence[City]: ...


class UnansweredRecorder(Protocol):
    """Where questions the bot could not answer are kept for the staff."""

    async def record(
        self,
        language: str,
        text: str,
        guessed_intent: str,
        city_slug: str | None,
        user_pseudonym: str | None = None,
    ) -> None: ...


class UnitsOfWork(Protocol):
    """`bot.kb.db.Database`: one database session per inbound message (see there)."""

    def unit_of_work(self) -> AbstractAsyncContextManager[None]: ...

    async def checkpoint(self) -> None: ...
