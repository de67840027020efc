"""The conversation router: where every inbound message goes, in one place.

    flood gate  →  handoff buttons  →  safeguarding  →  an open case  →  the assistant

1. A person sending faster than any person types gets one polite notice per minute, and
   the rest is not answered (it is not read by Rasa either).
2. Buttons of the handoff ("yes, connect me", a bridge language, leave, a rating) go to the
   handoff desk.
3. Words that suggest danger get the emergency numbers at once and an urgent case.
4. While a case is open, everything goes to the mediators (`/bot` leaves).
5. Everything else is the assistant's (`bot.core.assistant`); when it reports that the person
   asks for a mediator, or was not understood twice, the desk adds its offer.

Right after the flood gate, the person's privacy commands (/privacy, /mydata, /forget) and
the erasure's two buttons go to the privacy desk, also during an open case. A person's
first message gets the short privacy notice above its answer (`bot.privacy.person`).

One inbound message is one unit of work (`bot.kb.db`): one database session for all it
reads and writes, committed when the message has been handled, and before anything that
waits outside the database (a call to Rasa, a live event to the consoles). The privacy
desk works outside the unit: an erasure spans databases and Telegram.

Channels call `Conversation.handle`; they know nothing below it.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from bot.analytics.recorder import FactRecorder
from bot.core import buttons, replies
from bot.core.assistant import Assistant
from bot.core.messages import Inbound, Outbound
from bot.core.ports import Dialogue, UnitsOfWork
from bot.core.rasa_client import RasaAnswer
from bot.core.users import Profile, UserStore
from bot.handoff import texts
from bot.handoff.desk import HandoffDesk
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import Catalogs, Localizer, negotiate_language
from bot.limits import Limits
from bot.privacy import person
from bot.privacy.person import PrivacyDesk

HANDOFF_BUTTONS = (
    buttons.ConfirmHandoff,
    buttons.DeclineHandoff,
    buttons.ChooseBridge,
    buttons.LeaveHandoff,
    buttons.RateHelp,
)
LEAVE_COMMAND = "bot"
FLOOD_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class ConversationConfig:
    default_language: str
    person_messages_per_minute: int = 30


class Conversation:
    def __init__(
        self,
        config: ConversationConfig,
        users: UserStore,
        catalogs: Catalogs,
        assistant: Assistant,
        desk: HandoffDesk,
        safeguarding: SafeguardingLexicon,
        limits: Limits,
        privacy: PrivacyDesk,
        facts: FactRecorder | None = None,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.config = config
        self._users = users
        self._catalogs = catalogs
        self._assistant = assistant
        self._desk = desk
        self._safeguarding = safeguarding
        self._limits = limits
        self._privacy = privacy
        self._facts = facts  # anonymous statistics (bot.analytics); None: none kept
        self._units = units  # None: every store call its own session (the unit tests' fakes)

    def hinted_language(self, language_hint: str | None) -> str:
        return negotiate_language([language_hint], self.config.default_language)

    def localizer(self, language: str) -> Localizer:
        return self._catalogs.localizer(language)

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        async with self._unit_of_work():
            language = self.hinted_language(inbound.language_hint)
            if inbound.earlier_users:  # after a rotation of the pseudonym key
                await self._privacy.adopt(inbound.user, inbound.earlier_users)
            profile = await self._users.get_or_create(inbound.user, inbound.channel, language)
            loc = self._catalogs.localizer(profile.language)
            if await self._flooding(profile):
                return await self._flood_notice(profile, loc)
            if not for_privacy(inbound):
                messages = await self._route(inbound, profile, loc)
                if profile.is_new:
                    return self._privacy.at_first_contact(messages, loc)
                return messages
        return await self._privacy_turn(inbound, profile, loc)

    def _unit_of_work(self) -> AbstractAsyncContextManager[Any]:
        return self._units.unit_of_work() if self._units is not None else nullcontext()

    async def _privacy_turn(
        self, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        if isinstance(inbound.button, person.BUTTONS):
            return await self._privacy.button(inbound.button, profile, loc)
        assert inbound.command is not None
        case_open = await self._desk.open_case(profile.pseudonym) is not None
        return await self._privacy.command(inbound.command.name, profile, loc, case_open)

    async def _route(self, inbound: Inbound, profile: Profile, loc: Localizer) -> list[Outbound]:
        if isinstance(inbound.button, HANDOFF_BUTTONS):
            return await self._handoff_button(inbound, profile, loc)
        danger = self._safeguarding.match(inbound.text) if inbound.text else None
        if danger is not None:
            if self._facts is not None:
                await self._facts.safeguarding(inbound.channel, profile, danger.value)
            return await self._desk.safeguard(profile, loc, inbound, danger)
        case = await self._desk.open_case(profile.pseudonym)
        if case is not None:
            if inbound.command is not None and inbound.command.name == LEAVE_COMMAND:
                return await self._desk.leave(profile, loc)
            return await self._desk.on_inbound(case, inbound, profile, loc)
        return await self._assistant_turn(inbound, profile, loc)

    async def _assistant_turn(
        self, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        turn = await self._assistant.handle(inbound, profile, loc)
        if self._facts is not None:
            await self._facts.turn(inbound.channel, profile, turn)
        messages = turn.messages
        if turn.handoff_offer is not None:
            if turn.media_for_mediator:
                await self._desk.hold_media(profile, inbound)
            topic = turn.handoff_offer.topic
            messages += await self._desk.offer(profile, turn.loc, topic.value if topic else None)
        messages += turn.after
        if turn.misunderstood_twice:
            messages.append(texts.offer_after_misunderstanding(turn.loc))
        return messages

    async def _handoff_button(
        self, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        match inbound.button:
            case buttons.ConfirmHandoff(topic=topic):
                return await self._desk.confirm(
                    profile, loc, topic.value if topic else None, inbound
                )
            case buttons.ChooseBridge(language=language):
                return await self._desk.choose_bridge(profile, loc, language)
            case buttons.LeaveHandoff():
                return await self._desk.leave(profile, loc)
            case buttons.RateHelp(case_id=case_id, stars=stars):
                return await self._desk.rate(profile, loc, case_id, stars)
        return await self._desk.decline(profile, loc)

    async def _flooding(self, profile: Profile) -> bool:
        wait = await self._limits.take(
            f"person:{profile.pseudonym}",
            self.config.person_messages_per_minute,
            FLOOD_WINDOW_SECONDS,
        )
        return wait > 0

    async def _flood_notice(self, profile: Profile, loc: Localizer) -> list[Outbound]:
        """One polite notice per minute; the rest of the flood is not answered."""
        first = await self._limits.take(
            f"person-notice:{profile.pseudonym}", 1, FLOOD_WINDOW_SECONDS
        )
        return replies.too_fast(loc) if first == 0 else []


def for_privacy(inbound: Inbound) -> bool:
    """The person's privacy commands and the erasure's buttons (`bot.privacy.person`)."""
    if isinstance(inbound.button, person.BUTTONS):
        return True
    return inbound.command is not None and inbound.command.name in person.COMMANDS


class CommitBeforeRasa:
    """A `Dialogue` that commits the current unit of work before each call to Rasa, so that
    no database connection waits on Rasa and Rasa's actions see what this message stored."""

    def __init__(self, rasa: Dialogue, units: UnitsOfWork) -> None:
        self._rasa = rasa
        self._units = units

    async def send_text(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer:
        await self._units.checkpoint()
        return await self._rasa.send_text(sender, text, metadata)

    async def send_intent(
        self, sender: str, intent: str, metadata: dict[str, Any], entities: dict[str, str]
    ) -> RasaAnswer:
        await self._units.checkpoint()
        return await self._rasa.send_intent(sender, intent, metadata, entities)
