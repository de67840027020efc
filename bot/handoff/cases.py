"""Storage of handoff cases: one short session per operation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot.handoff.models import (
    OPEN_STATUSES,
    CaseAction,
    CaseEvent,
    CaseMessage,
    CaseNote,
    CaseStatus,
    HandoffCase,
    HeldMedia,
    Sender,
)
from bot.kb.db import Database
from bot.kb.models import City
from bot.staff.models import CannedReply, Role, StaffAccount

CASE_LOADS = (
    selectinload(HandoffCase.city).selectinload(City.names),
    selectinload(HandoffCase.mediator),
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class NewMessage:
    sender: Sender
    origin: str  # unique per case and sender: storing twice is a no-op
    kind: str
    text: str = ""
    file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    author_id: int | None = None


# told of every event of a case's history and of its rating (anonymous statistics)
CaseObserver = Callable[[HandoffCase, str], Awaitable[None]]


class CaseStore:
    def __init__(self, database: Database, observer: CaseObserver | None = None) -> None:
        self._database = database
        self._observer = observer

    # --- reading ----------------------------------------------------------------------

    async def get(self, case_id: int) -> HandoffCase | None:
        async with self._database.session() as session:
            return await session.get(HandoffCase, case_id, options=CASE_LOADS)

    async def open_case_of(self, pseudonym: str) -> HandoffCase | None:
        async with self._database.session() as session:
            return await session.scalar(
                select(HandoffCase)
                .where(
                    HandoffCase.user_pseudonym == pseudonym,
                    HandoffCase.status.in_(OPEN_STATUSES),
                )
                .options(*CASE_LOADS)
                .order_by(HandoffCase.id.desc())
                .limit(1)
            )

    async def by_thread(self, thread_id: int) -> HandoffCase | None:
        async with self._database.session() as session:
            return await session.scalar(
                select(HandoffCase)
                .where(HandoffCase.forum_thread_id == thread_id)
                .options(*CASE_LOADS)
            )

    async def queue_position(self, case: HandoffCase) -> int:
        """1 for the next case to be taken in the same language (urgent cases first)."""
        waiting = await self.queue((CaseStatus.WAITING,), languages=[case.language])
        ids = [c.id for c in waiting if c.language == case.language]
        return ids.index(case.id) + 1 if case.id in ids else len(ids) + 1

    async def queue(
        self,
        statuses: Sequence[CaseStatus] = (CaseStatus.WAITING, CaseStatus.ACTIVE),
        languages: Sequence[str] | None = None,
        city_slugs: Sequence[str] | None = None,
    ) -> list[HandoffCase]:
        """Open cases, urgent first then oldest, filtered by a mediator's skills."""
        query = (
            select(HandoffCase)
            .where(HandoffCase.status.in_(statuses))
            .options(*CASE_LOADS)
            .order_by(HandoffCase.urgent.desc(), HandoffCase.id)
        )
        async with self._database.session() as session:
            cases = list(await session.scalars(query))
        if languages is not None:
            cases = [c for c in cases if set(c.languages) & set(languages)]
        if city_slugs:
            cases = [c for c in cases if c.city is None or c.city.slug in city_slugs]
        return cases

    async def messages(self, case_id: int, after_id: int = 0) -> list[CaseMessage]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(CaseMessage)
                    .where(CaseMessage.case_id == case_id, CaseMessage.id > after_id)
                    .options(selectinload(CaseMessage.author))
                    .order_by(CaseMessage.id)
                )
            )

    async def message(self, case_id: int, message_id: int) -> CaseMessage | None:
        """One message of the case (None if it belongs to another case)."""
        async with self._database.session() as session:
            message = await session.get(CaseMessage, message_id)
            return message if message is not None and message.case_id == case_id else None

    async def notes(self, case_id: int) -> list[CaseNote]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(CaseNote)
                    .where(CaseNote.case_id == case_id)
                    .options(selectinload(CaseNote.author))
                    .order_by(CaseNote.id)
                )
            )

    async def canned_replies(self, languages: Sequence[str]) -> list[CannedReply]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(CannedReply)
                    .where(CannedReply.language.in_(languages))
                    .order_by(CannedReply.language, CannedReply.id)
                )
            )

    async def mediators(self) -> list[StaffAccount]:
        """The accounts a case can be routed to: mediators and supervisors, not translators or
        editors who happen to speak a language."""
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(StaffAccount).where(
                        StaffAccount.active.is_(True),
                        (StaffAccount.role == Role.MEDIATOR) | StaffAccount.is_supervisor,
                    )
                )
            )

    async def open_cases_of_network(self, tag: str) -> int:
        async with self._database.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(HandoffCase)
                    .where(HandoffCase.client_tag == tag, HandoffCase.status.in_(OPEN_STATUSES))
                )
                or 0
            )

    async def history(self, case_id: int) -> list[CaseEvent]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case_id)
                    .options(selectinload(CaseEvent.actor))
                    .order_by(CaseEvent.id)
                )
            )

    async def record(
        self,
        case_id: int,
        action: CaseAction,
        actor: StaffAccount | None = None,
        detail: str = "",
        *,
        refused: bool = False,
    ) -> None:
        """A line of the case's history."""
        async with self._database.session() as session:
            session.add(
                CaseEvent(
                    case_id=case_id,
                    action=action,
                    actor_id=actor.id if actor else None,
                    detail=detail[:128],
                    refused=refused,
                )
            )
            await session.commit()
        if not refused:
            await self.observe(case_id, action)

    async def observe(self, case_id: int, event: str) -> None:
        """Tell the observer (statistics) what happened to the case."""
        if self._observer is not None:
            case = await self.get(case_id)
            if case is not None:
                await self._observer(case, event)

    async def staff_by_telegram(self, telegram_user_id: int) -> StaffAccount | None:
        async with self._database.session() as session:
            return await session.scalar(
                select(StaffAccount).where(StaffAccount.telegram_user_id == telegram_user_id)
            )

    async def add_staff(self, account: StaffAccount) -> StaffAccount:
        async with self._database.session() as session:
            session.add(account)
            await session.commit()
            return account

    async def staff(self, account_id: int) -> StaffAccount | None:
        async with self._database.session() as session:
            return await session.get(StaffAccount, account_id)

    # --- the person's side ------------------------------------------------------------

    async def create(self, case: HandoffCase) -> HandoffCase:
        async with self._database.session() as session:
            session.add(case)
            await session.commit()
        reloaded = await self.get(case.id)
        assert reloaded is not None
        return reloaded

    async def update(self, case_id: int, **values: object) -> None:
        async with self._database.session() as session:
            await session.execute(
                update(HandoffCase).where(HandoffCase.id == case_id).values(**values)
            )
            await session.commit()

    async def add_message(self, case_id: int, new: NewMessage) -> CaseMessage | None:
        """Store a message; None if it was stored already (a redelivered update)."""
        async with self._database.session() as session:
            message = CaseMessage(
                case_id=case_id,
                sender=new.sender,
                origin=new.origin,
                kind=new.kind,
                text=new.text,
                file_id=new.file_id,
                latitude=new.latitude,
                longitude=new.longitude,
                author_id=new.author_id,
            )
            session.add(message)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return None
            return message

    # --- media held while a mediator is offered ------------------------------------------

    async def hold_media(self, pseudonym: str, new: NewMessage) -> None:
        async with self._database.session() as session:
            session.add(
                HeldMedia(
                    user_pseudonym=pseudonym,
                    origin=new.origin,
                    kind=new.kind,
                    caption=new.text,
                    file_id=new.file_id,
                )
            )
            await session.commit()

    async def take_held_media(self, pseudonym: str, since: dt.datetime) -> list[NewMessage]:
        """The person's held media received since `since`, oldest first; all of theirs are
        then deleted (older ones belonged to an offer that has expired)."""
        async with self._database.session() as session:
            held = await session.scalars(
                select(HeldMedia)
                .where(HeldMedia.user_pseudonym == pseudonym)
                .order_by(HeldMedia.received_at, HeldMedia.id)
            )
            taken = [
                NewMessage(
                    sender=Sender.PERSON,
                    origin=item.origin,
                    kind=item.kind,
                    text=item.caption,
                    file_id=item.file_id,
                )
                for item in held
                if item.received_at >= since
            ]
            await session.execute(delete(HeldMedia).where(HeldMedia.user_pseudonym == pseudonym))
            await session.commit()
        return taken

    async def drop_held_media(self, pseudonym: str) -> None:
        async with self._database.session() as session:
            await session.execute(delete(HeldMedia).where(HeldMedia.user_pseudonym == pseudonym))
            await session.commit()

    # --- the mediators' side ----------------------------------------------------------

    async def take(self, case_id: int, mediator_id: int) -> bool:
        """Assign a waiting case; False if it is not waiting any more (someone was faster)."""
        async with self._database.session() as session:
            result = await session.execute(
                update(HandoffCase)
                .where(HandoffCase.id == case_id, HandoffCase.status == CaseStatus.WAITING)
                .values(
                    status=CaseStatus.ACTIVE,
                    mediator_id=mediator_id,
                    taken_at=utcnow(),
                    person_told_taken=False,
                )
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, case_id: int) -> bool:
        async with self._database.session() as session:
            result = await session.execute(
                update(HandoffCase)
                .where(HandoffCase.id == case_id, HandoffCase.status == CaseStatus.ACTIVE)
                .values(status=CaseStatus.WAITING, mediator_id=None, taken_at=None)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def close(self, case_id: int, outcome: str, *, person_knows: bool = False) -> bool:
        """Close an open case; `person_knows`: they closed it themselves, nothing to tell."""
        async with self._database.session() as session:
            result = await session.execute(
                update(HandoffCase)
                .where(HandoffCase.id == case_id, HandoffCase.status.in_(OPEN_STATUSES))
                .values(
                    status=CaseStatus.CLOSED,
                    outcome=outcome,
                    closed_at=utcnow(),
                    person_told_closed=person_knows,
                    client_tag=None,
                )
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_note(self, case_id: int, author_id: int, text: str) -> None:
        async with self._database.session() as session:
            session.add(CaseNote(case_id=case_id, author_id=author_id, text=text))
            await session.commit()

    async def city_by_slug(self, slug: str) -> City | None:
        async with self._database.session() as session:
            return await session.scalar(select(City).where(City.slug == slug))

    # --- the relay's work list --------------------------------------------------------

    async def undelivered_lanes(self) -> list[tuple[int, str]]:
        """(case, sender) pairs with messages still to deliver."""
        async with self._database.session() as session:
            rows = await session.execute(
                select(CaseMessage.case_id, CaseMessage.sender)
                .where(CaseMessage.delivered_at.is_(None))
                .distinct()
            )
            return [(case_id, sender) for case_id, sender in rows]

    async def undelivered_of(self, case_id: int, sender: str, limit: int = 50) -> list[CaseMessage]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(CaseMessage)
                    .where(
                        CaseMessage.case_id == case_id,
                        CaseMessage.sender == sender,
                        CaseMessage.delivered_at.is_(None),
                    )
                    .options(selectinload(CaseMessage.case), selectinload(CaseMessage.author))
                    .order_by(CaseMessage.id)
                    .limit(limit)
                )
            )

    async def mark_delivered(self, message_id: int) -> None:
        async with self._database.session() as session:
            await session.execute(
                update(CaseMessage)
                .where(CaseMessage.id == message_id)
                .values(delivered_at=utcnow())
            )
            await session.commit()

    async def count_attempt(self, message_id: int) -> None:
        async with self._database.session() as session:
            await session.execute(
                update(CaseMessage)
                .where(CaseMessage.id == message_id)
                .values(attempts=CaseMessage.attempts + 1)
            )
            await session.commit()

    async def to_announce(self) -> list[HandoffCase]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(HandoffCase)
                    .where(
                        HandoffCase.status.in_((CaseStatus.WAITING, CaseStatus.ACTIVE)),
                        HandoffCase.announced_at.is_(None),
                    )
                    .options(*CASE_LOADS)
                    .order_by(HandoffCase.id)
                )
            )

    async def to_tell_person(self) -> list[HandoffCase]:
        """Cases whose person has not yet heard that a mediator took it, or that it closed."""
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(HandoffCase)
                    .where(
                        or_(
                            (HandoffCase.status == CaseStatus.ACTIVE)
                            & HandoffCase.person_told_taken.is_(False),
                            (HandoffCase.status == CaseStatus.CLOSED)
                            & HandoffCase.person_told_closed.is_(False),
                        )
                    )
                    .options(*CASE_LOADS)
                    .order_by(HandoffCase.id)
                )
            )

    async def to_close_on_board(self) -> list[HandoffCase]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(HandoffCase)
                    .where(
                        HandoffCase.status == CaseStatus.CLOSED,
                        HandoffCase.mediators_told_closed.is_(False),
                    )
                    .options(*CASE_LOADS)
                    .order_by(HandoffCase.id)
                )
            )

    async def to_escalate(self, older_than: dt.datetime) -> list[HandoffCase]:
        async with self._database.session() as session:
            return list(
                await session.scalars(
                    select(HandoffCase)
                    .where(
                        HandoffCase.status == CaseStatus.WAITING,
                        HandoffCase.escalated_at.is_(None),
                        HandoffCase.queued_at < older_than,
                    )
                    .options(*CASE_LOADS)
                    .order_by(HandoffCase.id)
                )
            )
