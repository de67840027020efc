"""A person's erasure (`/forget`, or staff answering a request by e-mail): everything the
service keeps about one pseudonym, everywhere, and nothing left readable in the files.

What goes, in one transaction: their profile (language, city), their handoff cases with
the cases' messages, notes and history, the questions the bot did not understand that
they wrote, and the delivery addresses (kept on the cases). Then Rasa's conversation
(every event of the pseudonym in Rasa's tracker store), and then the mediators' side is
told (`Relay.withdraw`: the topic of each case is deleted with all its messages).

SQLite keeps deleted rows in free pages and in the write-ahead log: every connection runs
with `secure_delete` (freed space is zeroed), and the log is checkpointed and truncated
right after. PostgreSQL keeps deleted row versions until VACUUM (docs/privacy.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import create_engine, delete, func, inspect, select, text

from bot.handoff.models import CaseEvent, CaseMessage, CaseNote, HandoffCase, HeldMedia
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage
from bot.settings import to_sync_url

logger = logging.getLogger(__name__)

CHECKPOINT_ATTEMPTS = 5


@dataclass(frozen=True)
class ErasedCase:
    id: int
    was_open: bool
    forum_thread_id: int | None


@dataclass
class ErasureReport:
    profile: bool = False
    cases: list[ErasedCase] = field(default_factory=list)
    messages: int = 0
    notes: int = 0
    unanswered: int = 0
    conversation_events: int = 0

    @property
    def anything(self) -> bool:
        return bool(
            self.profile
            or self.cases
            or self.messages
            or self.unanswered
            or self.conversation_events
        )

    def summary(self) -> str:
        """For the privacy log and the staff command: counts only."""
        return (
            f"{len(self.cases)} casi, {self.messages} messaggi, {self.notes} note, "
            f"{self.unanswered} domande, {self.conversation_events} eventi Rasa"
        )


class Eraser:
    def __init__(self, database: Database, tracker_url: str | None) -> None:
        self._database = database
        self._tracker_url = tracker_url

    async def erase(self, pseudonym: str) -> ErasureReport:
        report = await self._erase_app_rows(pseudonym)
        if self._tracker_url:
            report.conversation_events = await asyncio.to_thread(
                erase_conversation, self._tracker_url, pseudonym
            )
        await scrub(self._database)
        return report

    async def _erase_app_rows(self, pseudonym: str) -> ErasureReport:
        report = ErasureReport()
        async with self._database.session() as session:
            cases = (
                await session.execute(
                    select(HandoffCase.id, HandoffCase.status, HandoffCase.forum_thread_id).where(
                        HandoffCase.user_pseudonym == pseudonym
                    )
                )
            ).all()
            report.cases = [
                ErasedCase(id, status in ("draft", "waiting", "active"), thread)
                for id, status, thread in cases
            ]
            ids = [case.id for case in report.cases]
            if ids:
                report.messages = await _count(session, CaseMessage, CaseMessage.case_id, ids)
                report.notes = await _count(session, CaseNote, CaseNote.case_id, ids)
                for model in (CaseMessage, CaseNote, CaseEvent):
                    await session.execute(delete(model).where(model.case_id.in_(ids)))
                await session.execute(delete(HandoffCase).where(HandoffCase.id.in_(ids)))
            unanswered = await session.execute(
                delete(UnansweredMessage).where(UnansweredMessage.user_pseudonym == pseudonym)
            )
            report.unanswered = int(getattr(unanswered, "rowcount", 0) or 0)
            # a voice note or photo held while a mediator was offered (its caption, file id)
            await session.execute(delete(HeldMedia).where(HeldMedia.user_pseudonym == pseudonym))
            profile = await session.execute(delete(BotUser).where(BotUser.pseudonym == pseudonym))
            report.profile = bool(getattr(profile, "rowcount", 0))
            await session.commit()
        return report


async def _count(session: object, model: type, column: object, ids: list[int]) -> int:
    result = await session.scalar(  # type: ignore[attr-defined]
        select(func.count()).select_from(model).where(column.in_(ids))  # type: ignore[attr-defined]
    )
    return int(result or 0)


async def scrub(database: Database) -> None:
    """SQLite: copy the write-ahead log into the database file (where `secure_delete` has
    zeroed what was deleted) and truncate it, so no old copy of a row stays in the log."""
    if not database.is_sqlite:
        return
    for attempt in range(CHECKPOINT_ATTEMPTS):
        async with database.engine.connect() as connection:
            busy = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        if busy is None or not busy[0]:
            return
        await asyncio.sleep(0.05 * (attempt + 1))
    logger.warning("erasure: the write-ahead log could not be truncated (busy readers)")


def erase_conversation(tracker_url: str, sender_id: str) -> int:
    """Every event of one conversation in Rasa's SQL tracker store (SQLite or PostgreSQL).
    The events are found by their sender column, in clear; their data may be sealed."""
    url = to_sync_url(tracker_url)
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            if url.startswith("sqlite"):
                connection.exec_driver_sql("PRAGMA secure_delete=ON")
            result = connection.execute(
                text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}
            )
            deleted = int(result.rowcount or 0)
        if url.startswith("sqlite"):
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
    finally:
        engine.dispose()
