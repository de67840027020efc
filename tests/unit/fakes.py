"""In-memory fakes of the conversation's collaborators (the Protocols of `bot.core.ports`
and the parts of the handoff desk the router calls), for fast tests of its rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bot.core.assistant import Turn
from bot.core.contract import Answer
from bot.core.markup import Markup
from bot.core.messages import Inbound, Outbound
from bot.core.rasa_client import RasaAnswer, RasaUnavailable
from bot.core.users import Profile
from bot.i18n import Localizer
from bot.kb.db import Database
from bot.kb.models import Base, City


def said(text: str) -> Outbound:
    return Outbound(Markup(text))


def texts(messages: Sequence[Outbound]) -> list[str]:
    return [str(message.text) for message in messages]


class FakeProfiles:
    """`bot.core.ports.Profiles` in a dict."""

    def __init__(self, cities: Sequence[City] = ()) -> None:
        self.people: dict[str, Profile] = {}
        self._cities = {city.slug: city for city in cities}

    async def get_or_create(self, pseudonym: str, channel: str, language: str) -> Profile:
        if pseudonym not in self.people:
            self.people[pseudonym] = Profile(pseudonym, language, False, None, None, is_new=True)
            return self.people[pseudonym]
        self.people[pseudonym] = dataclasses.replace(self.people[pseudonym], is_new=False)
        return self.people[pseudonym]

    def _change(self, pseudonym: str, **values: Any) -> None:
        self.people[pseudonym] = dataclasses.replace(self.people[pseudonym], **values)

    async def set_language(self, pseudonym: str, language: str, *, chosen: bool = True) -> None:
        chosen = self.people[pseudonym].language_chosen or chosen
        self._change(pseudonym, language=language, language_chosen=chosen)

    async def set_misunderstood(self, pseudonym: str, count: int) -> None:
        self._change(pseudonym, misunderstood_in_a_row=count)

    async def set_handoff_offered(self, pseudonym: str, offered: bool) -> None:
        self._change(pseudonym, handoff_offered_at=None)

    async def set_city(self, pseudonym: str, city_slug: str) -> City | None:
        city = self._cities.get(city_slug)
        if city is not None:
            self._change(pseudonym, city_slug=city.slug, city_name=city.name)
        return city


@dataclass
class FakeDialogue:
    """`bot.core.ports.Dialogue`: answers from a script, and remembers what it was sent."""

    answers: list[RasaAnswer] = field(default_factory=list)
    down: bool = False
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def send_text(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer:
        return self._answer(sender, text, metadata)

    async def send_intent(
        self, sender: str, intent: str, metadata: dict[str, Any], entities: dict[str, str]
    ) -> RasaAnswer:
        return self._answer(sender, f"/{intent}", metadata)

    def _answer(self, sender: str, message: str, metadata: dict[str, Any]) -> RasaAnswer:
        self.sent.append((sender, message, metadata))
        if self.down:
            raise RasaUnavailable("down")
        return self.answers.pop(0)


def rasa_answer(
    intent: str, *payloads: dict[str, Any], language: str = "it", confidence: float = 0.9
) -> RasaAnswer:
    nlu = {
        "intent": {"name": intent},
        "intent_ranking": [{"name": intent}],
        "language": language,
        "language_confidence": confidence,
    }
    return RasaAnswer([{"custom": payload} for payload in payloads], nlu)


class FakeRenderer:
    """`bot.core.ports.AnswerRenderer`: one message naming the answer's kind and language."""

    def __init__(self, cities: Sequence[City] = ()) -> None:
        self._cities = list(cities)

    async def render(self, loc: Localizer, answer: Answer) -> list[Outbound]:
        return [said(f"{answer.kind}@{loc.language}")]

    async def cities(self) -> Sequence[City]:
        return self._cities


@dataclass
class FakeUnanswered:
    recorded: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    async def record(
        self,
        language: str,
        text: str,
        guessed_intent: str,
        city_slug: str | None,
        user_pseudonym: str | None = None,
    ) -> None:
        self.recorded.append((language, text, guessed_intent, city_slug))


@dataclass
class FakeAssistant:
    """The assistant as the router sees it: a `Turn` for each inbound, from a script."""

    turns: list[Turn] = field(default_factory=list)
    handled: list[Inbound] = field(default_factory=list)

    async def handle(self, inbound: Inbound, profile: Profile, loc: Localizer) -> Turn:
        self.handled.append(inbound)
        return self.turns.pop(0) if self.turns else Turn(loc, [said(f"bot:{inbound.text}")])


@dataclass
class FakeDesk:
    """The handoff desk as the router calls it: records each call, answers with its name."""

    open_cases: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def _called(self, name: str) -> list[Outbound]:
        self.calls.append(name)
        return [said(f"desk:{name}")]

    async def open_case(self, pseudonym: str) -> object | None:
        return pseudonym if pseudonym in self.open_cases else None

    async def offer(self, profile: Profile, loc: Localizer, topic: str | None) -> list[Outbound]:
        return self._called(f"offer:{topic}")

    async def confirm(
        self, profile: Profile, loc: Localizer, topic: str | None, inbound: Inbound
    ) -> list[Outbound]:
        return self._called(f"confirm:{topic}")

    async def decline(self, profile: Profile, loc: Localizer) -> list[Outbound]:
        return self._called("decline")

    async def choose_bridge(
        self, profile: Profile, loc: Localizer, language: str
    ) -> list[Outbound]:
        return self._called(f"bridge:{language}")

    async def leave(self, profile: Profile, loc: Localizer) -> list[Outbound]:
        return self._called("leave")

    async def rate(
        self, profile: Profile, loc: Localizer, case_id: int, stars: int
    ) -> list[Outbound]:
        return self._called(f"rate:{case_id}:{stars}")

    async def safeguard(
        self, profile: Profile, loc: Localizer, inbound: Inbound, danger: object
    ) -> list[Outbound]:
        return self._called(f"safeguard:{danger}")

    async def on_inbound(
        self, case: object, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        return self._called(f"relay:{inbound.text}")


def throwaway_database(directory: Path) -> Database:
    """A SQLite file with the whole schema (no migrations: the rules, not the upgrade path)."""
    import bot.handoff.models
    import bot.staff.models  # noqa: F401

    path = directory / "unit.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return Database(f"sqlite+aiosqlite:///{path}")


@dataclass
class FakePrivacy:
    """The person's privacy desk as the router calls it (notice, /privacy, /mydata, /forget)."""

    calls: list[str] = field(default_factory=list)

    async def adopt(self, pseudonym: str, earlier: tuple[str, ...]) -> None:
        self.calls.append("adopt")

    def at_first_contact(self, messages: list[Outbound], loc: Localizer) -> list[Outbound]:
        return [said("notice"), *messages]

    async def command(
        self, name: str, profile: Profile, loc: Localizer, case_open: bool
    ) -> list[Outbound]:
        self.calls.append(f"{name}:{'case' if case_open else 'no case'}")
        return [said(f"privacy:{name}")]

    async def button(self, button: object, profile: Profile, loc: Localizer) -> list[Outbound]:
        self.calls.append(f"button:{type(button).__name__}")
        return [said("privacy:button")]
