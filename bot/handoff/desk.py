"""The handoff desk: every decision about a case, for the person and for mediators.

Channels (Telegram, the web console) and the conversation router call it; it stores first,
then pokes the relay, which delivers. It knows no Telegram and no aiohttp.

Who may act on a case is decided here, whatever surface asks: anyone who may see a
waiting case may take it; only the mediator holding a case, a supervisor or an
administrator may transfer, release or close it. Every such action, and every refusal, is
a line of the case's history.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core import menus
from bot.core.cards import map_buttons, service_card
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.core.users import Profile, UserStore
from bot.handoff import texts
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore, NewMessage, utcnow
from bot.handoff.events import CaseEvents
from bot.handoff.models import CaseAction, CaseReason, CaseStatus, HandoffCase, Sender
from bot.handoff.routing import Availability, availability
from bot.handoff.safeguarding import Danger
from bot.i18n import Localizer
from bot.kb.db import Database
from bot.kb.models import City, Topic
from bot.kb.queries import city_by_slug, list_cities, services_for
from bot.staff.models import Role, StaffAccount

logger = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 300
TOPICS = frozenset(topic.value for topic in Topic)
OFFER_VALID_FOR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class DeskConfig:
    time_zone: str = "Europe/Rome"
    bridge_languages: tuple[str, ...] = ("en", "fr")
    open_cases_per_network: int = 3


class CaseRefused(Exception):
    """A staff member may not do this to this case (someone else holds it)."""

    def __init__(self, case: HandoffCase, action: CaseAction) -> None:
        super().__init__(action.value)
        self.case = case
        self.action = action

    @property
    def holder(self) -> str:
        return self.case.mediator.display_name if self.case.mediator else ""


def may_handle(account: StaffAccount, case: HandoffCase) -> bool:
    """Transfer, release or close: the holder, a supervisor or an administrator."""
    if account.role == Role.ADMINISTRATOR or account.is_supervisor:
        return True
    return case.status == CaseStatus.ACTIVE and case.mediator_id == account.id


class HandoffDesk:
    def __init__(
        self,
        config: DeskConfig,
        cases: CaseStore,
        users: UserStore,
        knowledge_base: Database,
        addresses: AddressBox,
        events: CaseEvents,
        poke_relay: Callable[[], None],
    ) -> None:
        self.config = config
        self.cases = cases
        self._users = users
        self._knowledge_base = knowledge_base
        self._addresses = addresses
        self._events = events
        self._poke = poke_relay

    def now(self) -> dt.datetime:
        return dt.datetime.now(ZoneInfo(self.config.time_zone))

    async def availability(self, language: str, city_slug: str | None) -> Availability:
        mediators = await self.cases.mediators()
        return availability(
            mediators, language, city_slug, self.config.bridge_languages, self.now()
        )

    # --- the person -------------------------------------------------------------------

    async def open_case(self, pseudonym: str) -> HandoffCase | None:
        return await self.cases.open_case_of(pseudonym)

    async def offer(self, profile: Profile, loc: Localizer, topic: str | None) -> list[Outbound]:
        """Before handing over: what happens next (hours, queue), and a yes/no."""
        available = await self.availability(profile.language, profile.city_slug)
        waiting = len(await self.cases.queue((CaseStatus.WAITING,), [profile.language]))
        await self._users.set_handoff_offered(profile.pseudonym, True)
        return [texts.offer(loc, available, waiting, topic if topic in TOPICS else None)]

    async def decline(self, profile: Profile, loc: Localizer) -> list[Outbound]:
        await self._users.set_handoff_offered(profile.pseudonym, False)
        await self.cases.drop_held_media(profile.pseudonym)
        return [menus.menu_message(loc)]

    async def hold_media(self, profile: Profile, inbound: Inbound) -> None:
        """A voice note or photo the bot cannot read, kept (its file id) while a mediator is
        offered: it becomes the first message of the case if the person accepts."""
        await self.cases.hold_media(profile.pseudonym, person_message(inbound))

    async def confirm(
        self, profile: Profile, loc: Localizer, topic: str | None, inbound: Inbound
    ) -> list[Outbound]:
        """The person said yes: open a case; ask for a line about it if the topic is unknown.

        Only after the bot offered a mediator in this conversation: a forged or stale "yes"
        gets the offer itself. One person holds at most one open case."""
        existing = await self.open_case(profile.pseudonym)
        if existing is not None:
            return await self._continue(existing, profile, loc)
        if not profile.offered_a_mediator_since(utcnow() - OFFER_VALID_FOR):
            return await self.offer(profile, loc, topic)
        if inbound.network and await self._network_is_full(inbound.network):
            logger.warning("open cases per network reached: request refused")
            return texts.too_many_cases(loc)
        await self._users.set_handoff_offered(profile.pseudonym, False)
        case = await self._create(profile, inbound, topic, CaseReason.REQUESTED)
        held = await self.cases.take_held_media(profile.pseudonym, utcnow() - OFFER_VALID_FOR)
        for message in held:
            await self.cases.add_message(case.id, message)
        caption = next((m.text.strip() for m in held if m.text.strip()), "")
        if caption:  # a photo's caption says what the request is about
            await self.cases.update(case.id, summary=caption[:MAX_SUMMARY_CHARS])
        if case.topic is None and not held:  # a voice note or photo says what it is about
            return texts.ask_summary(loc)
        return await self._route(case, profile, loc)

    async def on_inbound(
        self, case: HandoffCase, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        """Anything the person sends while a case is open."""
        if case.status == CaseStatus.DRAFT:
            return await self._draft_input(case, inbound, profile, loc)
        if inbound.kind in (InboundKind.BUTTON, InboundKind.COMMAND, InboundKind.UNREADABLE):
            return texts.in_handoff_reminder(loc)
        stored = await self._store_from_person(case, inbound)
        if stored and case.status == CaseStatus.WAITING:
            return texts.passed_on(loc)
        return []  # a mediator is talking: the bot stays quiet

    async def choose_bridge(
        self, profile: Profile, loc: Localizer, bridge: str | None
    ) -> list[Outbound]:
        case = await self.open_case(profile.pseudonym)
        if case is None or case.status != CaseStatus.DRAFT:
            return [menus.menu_message(loc)]
        bridge_language = bridge if bridge in self.config.bridge_languages else None
        await self.cases.update(case.id, bridge_language=bridge_language)
        refreshed = await self.cases.get(case.id)
        assert refreshed is not None
        return await self._queue(refreshed, profile, loc)

    async def leave(self, profile: Profile, loc: Localizer) -> list[Outbound]:
        case = await self.open_case(profile.pseudonym)
        if case is not None:
            # in one write: the relay must not tell them "the mediator closed it"
            await self.cases.close(case.id, "left", person_knows=True)
            await self.cases.record(case.id, CaseAction.LEFT)
            await self._changed(case.id)
        return texts.left(loc)

    async def rate(
        self, profile: Profile, loc: Localizer, case_id: int, rating: int
    ) -> list[Outbound]:
        case = await self.cases.get(case_id)
        if (
            case is not None
            and case.user_pseudonym == profile.pseudonym
            and case.status == CaseStatus.CLOSED
            and rating in texts.RATINGS
        ):
            await self.cases.update(case_id, rating=rating)
            await self.cases.observe(case_id, "rated")
            await self._changed(case_id)
        return texts.rated(loc)

    async def safeguard(
        self, profile: Profile, loc: Localizer, inbound: Inbound, danger: Danger
    ) -> list[Outbound]:
        """Emergency numbers at once, and an urgent case flagged for mediators."""
        replies = texts.emergency(loc, danger)
        case = await self.open_case(profile.pseudonym)
        if case is None:
            case = await self._create(profile, inbound, None, CaseReason.SAFEGUARDING, urgent=True)
        await self.cases.update(
            case.id,
            urgent=True,
            summary=case.summary or inbound.text[:MAX_SUMMARY_CHARS],
            status=CaseStatus.WAITING if case.status == CaseStatus.DRAFT else case.status,
            queued_at=case.queued_at or utcnow(),
        )
        await self._store_from_person(case, inbound)
        await self._changed(case.id)
        available = await self.availability(case.language, profile.city_slug)
        anyone = available.anyone_on_duty or bool(available.bridge_languages_on_duty)
        replies.append(texts.urgent_case_opened(loc, case, anyone))
        return replies

    async def _network_is_full(self, network: str) -> bool:
        return await self.cases.open_cases_of_network(network) >= self.config.open_cases_per_network

    async def _create(
        self,
        profile: Profile,
        inbound: Inbound,
        topic: str | None,
        reason: CaseReason,
        *,
        urgent: bool = False,
    ) -> HandoffCase:
        async with self._knowledge_base.session() as session:
            city = await city_by_slug(session, profile.city_slug) if profile.city_slug else None
        case = HandoffCase(
            user_pseudonym=profile.pseudonym,
            channel=inbound.channel,
            delivery_address=self._addresses.seal(inbound.address) if inbound.address else "",
            language=profile.language,
            city_id=city.id if city else None,
            topic=topic if topic in TOPICS else None,
            reason=reason,
            urgent=urgent,
            status=CaseStatus.DRAFT,
            client_tag=inbound.network,
        )
        created = await self.cases.create(case)
        await self.cases.record(created.id, CaseAction.OPENED, detail=reason)
        return created

    async def _draft_input(
        self, case: HandoffCase, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        if case.topic is None and not case.summary:
            if inbound.kind != InboundKind.TEXT or not inbound.text.strip():
                return texts.ask_summary(loc)
            await self.cases.update(case.id, summary=inbound.text.strip()[:MAX_SUMMARY_CHARS])
            await self._store_from_person(case, inbound)
            refreshed = await self.cases.get(case.id)
            assert refreshed is not None
            return await self._route(refreshed, profile, loc)
        return await self._route(case, profile, loc)  # still deciding on a bridge language

    async def _continue(
        self, case: HandoffCase, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        if case.status == CaseStatus.DRAFT:
            return await self._draft_input(
                case, Inbound(profile.pseudonym, case.channel, InboundKind.BUTTON), profile, loc
            )
        return texts.in_handoff_reminder(loc)

    async def _route(self, case: HandoffCase, profile: Profile, loc: Localizer) -> list[Outbound]:
        """Mediators who speak the language first; a bridge language only if accepted."""
        available = await self.availability(case.language, profile.city_slug)
        bridges = available.bridge_languages_on_duty
        if not available.anyone_on_duty and bridges and case.bridge_language is None:
            return texts.ask_bridge(loc, bridges)
        return await self._queue(case, profile, loc)

    async def _queue(self, case: HandoffCase, profile: Profile, loc: Localizer) -> list[Outbound]:
        await self.cases.update(case.id, status=CaseStatus.WAITING, queued_at=utcnow())
        await self.cases.record(case.id, CaseAction.QUEUED)
        queued_case = await self.cases.get(case.id)
        assert queued_case is not None
        await self._changed(case.id)
        available = await self.availability(case.language, profile.city_slug)
        position = await self.cases.queue_position(queued_case)
        replies = texts.queued(loc, queued_case, position, available)
        bridge_on_duty = bool(
            queued_case.bridge_language
            and available.bridge_on_duty.get(queued_case.bridge_language)
        )
        if not available.anyone_on_duty and not bridge_on_duty and profile.city_slug:
            replies += await self._desks(loc, profile.city_slug)
        return replies

    async def _desks(self, loc: Localizer, city_slug: str) -> list[Outbound]:
        async with self._knowledge_base.session() as session:
            city = await city_by_slug(session, city_slug)
            if city is None:
                return []
            desks = await services_for(session, city.id, Topic.DESK.value)
        if not desks:
            return []
        cards = [Outbound(text=service_card(loc, s), buttons=map_buttons(loc, s)) for s in desks]
        return [texts.desks_meanwhile(loc, city.display_name(loc.language)), *cards]

    async def _store_from_person(self, case: HandoffCase, inbound: Inbound) -> bool:
        stored = await self.cases.add_message(case.id, person_message(inbound))
        if stored is not None:
            await self._changed(case.id)
        return stored is not None

    # --- mediators --------------------------------------------------------------------

    async def cities(self) -> Sequence[City]:
        async with self._knowledge_base.session() as session:
            return await list_cities(session)

    async def take(self, case_id: int, mediator: StaffAccount) -> bool:
        taken = await self.cases.take(case_id, mediator.id)
        if taken:
            await self.cases.record(case_id, CaseAction.TAKEN, mediator)
            await self._changed(case_id)
        return taken

    async def release(self, case_id: int, actor: StaffAccount) -> bool:
        await self._authorise(case_id, actor, CaseAction.RELEASED)
        released = await self.cases.release(case_id)
        if released:
            await self.cases.record(case_id, CaseAction.RELEASED, actor)
            await self._changed(case_id)
        return released

    async def transfer(
        self, case_id: int, actor: StaffAccount, language: str, city_slug: str | None
    ) -> bool:
        case = await self._authorise(case_id, actor, CaseAction.TRANSFERRED)
        if not case.is_open:
            return False
        async with self._knowledge_base.session() as session:
            city = await city_by_slug(session, city_slug) if city_slug else None
        await self.cases.update(
            case_id,
            status=CaseStatus.WAITING,
            mediator_id=None,
            taken_at=None,
            language=language,
            bridge_language=None,
            city_id=city.id if city else case.city_id,
            queued_at=utcnow(),
            escalated_at=None,
        )
        detail = f"{case.language} → {language}" + (f", {city.name}" if city else "")
        await self.cases.record(case_id, CaseAction.TRANSFERRED, actor, detail)
        await self._changed(case_id)
        return True

    async def send_from_mediator(
        self, case_id: int, mediator: StaffAccount, message: NewMessage
    ) -> bool:
        case = await self.cases.get(case_id)
        if case is None or case.status != CaseStatus.ACTIVE:
            return False
        stored = await self.cases.add_message(case_id, message)
        if stored is not None:
            await self._changed(case_id)
        return True

    async def close(self, case_id: int, actor: StaffAccount, outcome: str) -> bool:
        await self._authorise(case_id, actor, CaseAction.CLOSED)
        closed = await self.cases.close(case_id, outcome)
        if closed:
            await self.cases.record(case_id, CaseAction.CLOSED, actor, outcome)
            await self._changed(case_id)
        return closed

    async def add_note(self, case_id: int, author: StaffAccount, text: str) -> None:
        await self.cases.add_note(case_id, author.id, text)
        await self.cases.record(case_id, CaseAction.NOTE, author)
        await self._changed(case_id)

    async def _authorise(
        self, case_id: int, actor: StaffAccount, action: CaseAction
    ) -> HandoffCase:
        case = await self.cases.get(case_id)
        if case is None:
            raise LookupError(case_id)
        if not may_handle(actor, case):
            await self.cases.record(case_id, action, actor, refused=True)
            await self._changed(case_id)
            raise CaseRefused(case, action)
        return case

    async def _changed(self, case_id: int) -> None:
        """The consoles and the relay are told once the change is committed."""
        await self._knowledge_base.checkpoint()
        await self._events.publish(case_id)
        self._poke()


def person_message(inbound: Inbound) -> NewMessage:
    """What the person sent, as a case message."""
    origin = inbound.origin or f"{inbound.channel}:{utcnow().timestamp()}"
    kind = "location" if inbound.kind == InboundKind.LOCATION else (inbound.media or "text")
    return NewMessage(
        sender=Sender.PERSON,
        origin=origin,
        kind=kind,
        text=inbound.text,
        file_id=inbound.file_id,
        latitude=inbound.latitude,
        longitude=inbound.longitude,
    )
