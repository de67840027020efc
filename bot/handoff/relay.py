"""The relay: delivers what the desk stored, in order, until it is delivered.

It runs as one background task of the app. Each round it (1) announces new cases to the
mediators, (2) delivers stored messages both ways, oldest first, stopping a case at its
first failure so that order is kept, (3) tells people that their case was taken or closed,
(4) closes finished cases on the mediators' side and (5) escalates cases waiting too long.
Everything it does is recorded in the database when done, so a restart resumes where it
stopped: nothing is lost, and nothing already delivered is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.markup import Markup
from bot.core.messages import Outbound, telegram_message_id
from bot.handoff import texts
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore, utcnow
from bot.handoff.events import CaseEvents
from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase, Sender
from bot.i18n import Catalogs, Localizer

logger = logging.getLogger(__name__)


STOP_GRACE_SECONDS = 10.0


class TransientDeliveryError(Exception):
    """Try again later (rate limit, network, a 5xx of the channel)."""


class PermanentDeliveryError(Exception):
    """Will never work (the person blocked the bot, the message is gone)."""


class PersonChannel(Protocol):
    async def send(self, address: str, messages: Sequence[Outbound]) -> None: ...

    async def relay_to_person(self, address: str, message: CaseMessage) -> None: ...


class MediatorBoard(Protocol):
    async def announce(self, case: HandoffCase, card: Markup) -> int | None: ...

    async def relay_from_person(
        self, case: HandoffCase, message: CaseMessage, person_address: str | None
    ) -> None: ...

    async def mirror(self, case: HandoffCase, message: CaseMessage) -> None: ...

    async def notify(self, case: HandoffCase, text: Markup) -> None: ...

    async def close_topic(self, case: HandoffCase, text: Markup) -> None: ...

    async def escalate(self, case: HandoffCase, text: Markup) -> None: ...

    async def delete_topic(self, thread_id: int, last_words: Markup | None) -> None:
        """Post `last_words` in the topic (its members are notified), then delete the topic
        with all its messages."""


@dataclass(frozen=True)
class RelayConfig:
    interval_seconds: float = 2.0
    escalate_after: dt.timedelta = dt.timedelta(minutes=15)
    staff_language: str = "it"
    max_attempts: int = 50


class Relay:
    def __init__(
        self,
        config: RelayConfig,
        cases: CaseStore,
        addresses: AddressBox,
        catalogs: Catalogs,
        events: CaseEvents,
        recent_texts: Callable[[str], Awaitable[list[str]]],
    ) -> None:
        self.config = config
        self._cases = cases
        self._addresses = addresses
        self._catalogs = catalogs
        self._events = events
        self._recent_texts = recent_texts
        self.people: dict[str, PersonChannel] = {}
        self.board: MediatorBoard | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._stopping = False

    @property
    def staff(self) -> Localizer:
        return self._catalogs.localizer(self.config.staff_language)

    def poke(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="handoff-relay")

    async def stop(self) -> None:
        """Finish the messages being sent (a lane stops between two messages), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        lanes = [lane for lane in self._lanes.values() if not lane.done()]
        if lanes:
            _, still_waiting = await asyncio.wait(lanes, timeout=STOP_GRACE_SECONDS)
            for lane in still_waiting:  # waiting for a rate limit: nothing was sent yet
                lane.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
            except Exception:
                logger.exception("handoff relay round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.interval_seconds)
            self._wake.clear()

    async def run_once(self) -> None:
        await self._announce()
        await self._deliver()
        await self._tell_people()
        await self._close_topics()
        await self._escalate()

    # --- steps ------------------------------------------------------------------------

    async def _announce(self) -> None:
        await asyncio.gather(*(self._announce_case(c) for c in await self._cases.to_announce()))

    async def _announce_case(self, case: HandoffCase) -> None:
        thread_id = None
        if self.board is not None:
            recent = await self._recent_texts(case.user_pseudonym)
            card = texts.case_card(
                self.staff, case, recent, self.staff.language_in_my_language(case.language)
            )
            try:
                thread_id = await self.board.announce(case, card)
            except TransientDeliveryError:
                logger.warning("case %s: announcing to mediators failed, will retry", case.id)
                return
            except PermanentDeliveryError:
                # e.g. the group is not a forum: the case stays visible in the console
                logger.exception("case %s: cannot open a topic for it", case.id)
        await self._cases.update(case.id, forum_thread_id=thread_id, announced_at=utcnow())
        await self._events.publish(case.id)
        self.poke()  # its person's messages can go now

    async def _deliver(self) -> None:
        """One delivery lane per case and direction: order is kept within a lane, and a slow
        lane (the mediators' group is limited to 20 messages a minute) holds up no other."""
        for case_id, sender in await self._cases.undelivered_lanes():
            lane = self._lanes.get((case_id, sender))
            if lane is None or lane.done():
                self._lanes[(case_id, sender)] = asyncio.create_task(
                    self._drain_lane(case_id, sender), name=f"relay-{case_id}-{sender}"
                )

    async def _drain_lane(self, case_id: int, sender: str) -> None:
        while not self._stopping:
            messages = await self._cases.undelivered_of(case_id, sender)
            if not messages:
                return
            for message in messages:
                if self._stopping or not await self._deliver_message(message):
                    return  # a later round retries

    async def _deliver_message(self, message: CaseMessage) -> bool:
        """Deliver and record one message; False if it must wait (and the lane with it)."""
        case = message.case
        if case.announced_at is None and message.sender == Sender.PERSON:
            return False  # mediators must see the case card first
        try:
            await self._deliver_one(case, message)
        except TransientDeliveryError as error:
            logger.warning("case %s: message %s not delivered yet: %s", case.id, message.id, error)
            await self._cases.count_attempt(message.id)
            if message.attempts + 1 < self.config.max_attempts:
                return False
            logger.error("case %s: giving up on message %s", case.id, message.id)
        except PermanentDeliveryError as error:
            logger.warning(
                "case %s: message %s cannot be delivered: %s", case.id, message.id, error
            )
        await self._cases.mark_delivered(message.id)
        await self._events.publish(case.id)
        return True

    async def _deliver_one(self, case: HandoffCase, message: CaseMessage) -> None:
        address = self._address(case)
        if message.sender == Sender.PERSON:
            if self.board is not None and case.forum_thread_id is not None:
                await self.board.relay_from_person(case, message, address)
            return
        channel = self.people.get(case.channel)
        if channel is None or address is None:
            raise PermanentDeliveryError(f"no way to reach a {case.channel} person")
        await channel.relay_to_person(address, message)
        from_telegram = telegram_message_id(message.origin) is not None
        if self.board is not None and case.forum_thread_id and not from_telegram:
            with contextlib.suppress(TransientDeliveryError, PermanentDeliveryError):
                await self.board.mirror(case, message)

    async def _tell_people(self) -> None:
        await asyncio.gather(*(self._tell_person(c) for c in await self._cases.to_tell_person()))

    async def _tell_person(self, case: HandoffCase) -> None:
        loc = self._catalogs.localizer(case.language)
        if case.status == CaseStatus.ACTIVE:
            name = case.mediator.display_name if case.mediator else "—"
            outbound, flag = texts.taken(loc, name), "person_told_taken"
        else:
            outbound, flag = texts.closed(loc, case.id), "person_told_closed"
        if await self._send_to_person(case, outbound):
            await self._cases.update(case.id, **{flag: True})

    async def _send_to_person(self, case: HandoffCase, outbound: list[Outbound]) -> bool:
        channel = self.people.get(case.channel)
        address = self._address(case)
        if channel is None or address is None:
            return True  # nobody to tell on this channel
        try:
            await channel.send(address, outbound)
        except TransientDeliveryError:
            return False
        except PermanentDeliveryError:
            logger.warning("case %s: the person cannot be reached", case.id)
        return True

    async def _close_topics(self) -> None:
        for case in await self._cases.to_close_on_board():
            if self.board is not None and case.forum_thread_id is not None:
                notice = texts.closed_notice(self.staff, case.outcome or "other")
                try:
                    await self.board.close_topic(case, notice)
                except TransientDeliveryError:
                    continue
                except PermanentDeliveryError:
                    logger.warning("case %s: could not close the topic", case.id)
            await self._cases.update(case.id, mediators_told_closed=True)

    async def _escalate(self) -> None:
        now = utcnow()
        for case in await self._cases.to_escalate(now - self.config.escalate_after):
            queued = case.queued_at or now
            minutes = max(1, int((now - queued).total_seconds() // 60))
            notice = texts.escalation_notice(self.staff, case, minutes)
            if self.board is not None:
                try:
                    await self.board.escalate(case, notice)
                except (TransientDeliveryError, PermanentDeliveryError):
                    continue
            logger.warning("case %s escalated after %s minutes", case.id, minutes)
            await self._cases.update(case.id, escalated_at=now)
            await self._events.publish(case.id)

    async def withdraw(self, case_id: int, thread_id: int | None, was_open: bool) -> bool:
        """A case the person erased (`/forget`): the mediators are told if it was open, its
        topic is deleted with everything in it, and the console's page of it changes.
        False when the topic could not be deleted (the erasure is reported, not retried)."""
        await self._events.publish(case_id)
        if self.board is None or thread_id is None:
            return True
        notice = texts.withdrawn_notice(self.staff, case_id) if was_open else None
        try:
            await self.board.delete_topic(thread_id, notice)
        except (TransientDeliveryError, PermanentDeliveryError):
            logger.warning("case %s: could not delete the topic of a withdrawn case", case_id)
            return False
        return True

    async def delete_topic(self, thread_id: int) -> None:
        """A topic whose case retention deleted: its copies of the messages go too."""
        if self.board is None:
            return
        try:
            await self.board.delete_topic(thread_id, None)
        except (TransientDeliveryError, PermanentDeliveryError):
            logger.warning("retention: a topic of a deleted case could not be deleted")

    def _address(self, case: HandoffCase) -> str | None:
        return self._addresses.open(case.delivery_address) if case.delivery_address else None
