"""The handoff desk: every decision about a case, for the person and for mediators.

Channels (Telegram, the web console) call it; it stores first, then pokes the relay, which
delivers. It knows no Telegram and no aiohttp.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core import render
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.core.users import Profile
from bot.handoff import texts
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore, NewMessage, utcnow
from bot.handoff.events import CaseEvents
from bot.handoff.models import CaseReason, CaseStatus, HandoffCase, Sender
from bot.handoff.routing import Availability, availability
from bot.handoff.safeguarding import Danger
from bot.i18n import Localizer
from bot.kb.models import City, Topic
from bot.staff.models import StaffAccount

logger = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 300
TOPICS = frozenset(topic.value for topic in Topic)


@dataclass(frozen=True)
class DeskConfig:
    time_zone: str = "Europe/Rome"
    bridge_languages: tuple[str, ...] = ("en", "fr")


class HandoffDesk:
    def __init__(
        self,
        config: DeskConfig,
        cases: CaseStore,
        addresses: AddressBox,
        renderer: render.Renderer,
        events: CaseEvents,
        poke_relay: Callable[[], None],
    ) -> None:
        self.config = config
        self.cases = cases
        self._addresses = addresses
        self._renderer = renderer
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
        return [texts.offer(loc, available, waiting, topic if topic in TOPICS else None)]

    async def confirm(
        self, profile: Profile, loc: Localizer, topic: str | None, inbound: Inbound
    ) -> list[Outbound]:
        """The person said yes: open a case; ask for a line about it if the topic is unknown."""
        existing = await self.open_case(profile.pseudonym)
        if existing is not None:
            return await self._continue(existing, profile, loc)
        case = await self._create(profile, inbound, topic, CaseReason.REQUESTED)
        if case.topic is None:
            return texts.ask_summary(loc)
        return await self._route(case, profile, loc)

    async def on_inbound(
        self, case: HandoffCase, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        """Anything the person sends while a case is open."""
        if case.status == CaseStatus.DRAFT:
            return await self._draft_input(case, inbound, profile, loc)
        if inbound.kind == InboundKind.BUTTON or _is_command(inbound):
            return texts.in_handoff_reminder(loc)
        stored = await self._store_from_person(case, inbound)
        if stored and case.status == CaseStatus.WAITING:
            return texts.passed_on(loc)
        return []  # a mediator is talking: the bot stays quiet

    async def choose_bridge(self, profile: Profile, loc: Localizer, bridge: str) -> list[Outbound]:
        case = await self.open_case(profile.pseudonym)
        if case is None or case.status != CaseStatus.DRAFT:
            return [render.menu_message(loc)]
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

    async def _create(
        self,
        profile: Profile,
        inbound: Inbound,
        topic: str | None,
        reason: CaseReason,
        *,
        urgent: bool = False,
    ) -> HandoffCase:
        city = await self.cases.city_by_slug(profile.city_slug) if profile.city_slug else None
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
        )
        return await self.cases.create(case)

    async def _draft_input(
        self, case: HandoffCase, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        if case.topic is None and not case.summary:
            if inbound.kind != InboundKind.TEXT or _is_command(inbound) or not inbound.text.strip():
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
        desks = await self._renderer.desk_cards(loc, city_slug)
        if not desks:
            return []
        city = await self._renderer.city(city_slug)
        name = city.display_name(loc.language) if city else city_slug
        return [texts.desks_meanwhile(loc, name), *desks]

    async def _store_from_person(self, case: HandoffCase, inbound: Inbound) -> bool:
        origin = inbound.origin or f"{inbound.channel}:{utcnow().timestamp()}"
        kind = "location" if inbound.kind == InboundKind.LOCATION else (inbound.media or "text")
        stored = await self.cases.add_message(
            case.id,
            NewMessage(
                sender=Sender.PERSON,
                origin=origin,
                kind=kind,
                text=inbound.text,
                file_id=inbound.file_id,
                latitude=inbound.latitude,
                longitude=inbound.longitude,
            ),
        )
        if stored is not None:
            await self._changed(case.id)
        return stored is not None

    # --- mediators --------------------------------------------------------------------

    async def cities(self) -> Sequence[City]:
        return await self._renderer.cities()

    async def take(self, case_id: int, mediator: StaffAccount) -> bool:
        taken = await self.cases.take(case_id, mediator.id)
        if taken:
            await self._changed(case_id)
        return taken

    async def release(self, case_id: int) -> bool:
        released = await self.cases.release(case_id)
        if released:
            await self._changed(case_id)
        return released

    async def transfer(self, case_id: int, language: str, city_slug: str | None) -> bool:
        case = await self.cases.get(case_id)
        if case is None or not case.is_open:
            return False
        city = await self.cases.city_by_slug(city_slug) if city_slug else None
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

    async def close(self, case_id: int, outcome: str) -> bool:
        closed = await self.cases.close(case_id, outcome)
        if closed:
            await self._changed(case_id)
        return closed

    async def add_note(self, case_id: int, author: StaffAccount, text: str) -> None:
        await self.cases.add_note(case_id, author.id, text)
        await self._changed(case_id)

    async def _changed(self, case_id: int) -> None:
        self._events.publish(case_id)
        self._poke()


def _is_command(inbound: Inbound) -> bool:
    return inbound.kind == InboundKind.TEXT and inbound.text.lstrip().startswith("/")
