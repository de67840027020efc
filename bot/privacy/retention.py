"""How long what people said is kept.

One rule for everything a person leaves behind: it is deleted `RETENTION_DAYS` after it
was last used. That covers closed handoff cases with their messages and notes, the
questions the bot could not understand, people's profiles (language, city), and Rasa's
conversations in its tracker store (a conversation goes when its last event is older).
Cases still open and the people they belong to are kept whatever their age.
Voice notes and photos held while a mediator is offered (their Telegram file ids) serve an
offer valid for an hour: whatever was never attached to a case goes after a day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import create_engine, delete, inspect, select, text
from sqlalchemy.engine import Engine

from bot.handoff.models import CaseMessage, CaseNote, CaseStatus, HandoffCase, HeldMedia
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage
from bot.settings import to_sync_url

logger = logging.getLogger(__name__)

HELD_MEDIA_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    cases: int
    unanswered: int
    people: int
    conversations: int
    held_media: int = 0


async def purge(
    database: Database,
    days: int,
    tracker_url: str | None = None,
    now: dt.datetime | None = None,
) -> PurgeReport:
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = moment - dt.timedelta(days=days)
    async with database.session() as session:
        old_cases = select(HandoffCase.id).where(
            HandoffCase.status == CaseStatus.CLOSED, HandoffCase.closed_at < cutoff
        )
        case_ids = list(await session.scalars(old_cases))
        if case_ids:
            await session.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids)))
            await session.execute(delete(CaseNote).where(CaseNote.case_id.in_(case_ids)))
            await session.execute(delete(HandoffCase).where(HandoffCase.id.in_(case_ids)))
        unanswered = await session.execute(
            delete(UnansweredMessage).where(UnansweredMessage.received_at < cutoff)
        )
        held = await session.execute(
            delete(HeldMedia).where(HeldMedia.received_at < max(cutoff, moment - HELD_MEDIA_KEPT))
        )
        with_a_case = select(HandoffCase.user_pseudonym)  # what is left of them is kept
        people = await session.execute(
            delete(BotUser).where(
                BotUser.updated_at < cutoff, BotUser.pseudonym.not_in(with_a_case)
            )
        )
        await session.commit()
    conversations = purge_rasa_conversations(tracker_url, cutoff) if tracker_url else 0
    report = PurgeReport(
        cases=len(case_ids),
        unanswered=_count(unanswered),
        people=_count(people),
        conversations=conversations,
        held_media=_count(held),
    )
    logger.info("retention: deleted %s", report)
    return report


def purge_rasa_conversations(tracker_url: str, cutoff: dt.datetime) -> int:
    """Rasa's SQL tracker store: the conversations whose last event is older than `cutoff`."""
    engine: Engine = create_engine(to_sync_url(tracker_url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            stale = (
                connection.execute(
                    text(
                        "SELECT sender_id FROM events GROUP BY sender_id "
                        "HAVING MAX(timestamp) < :cutoff"
                    ),
                    {"cutoff": cutoff.timestamp()},
                )
                .scalars()
                .all()
            )
            for sender_id in stale:
                connection.execute(
                    text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}
                )
        return len(stale)
    finally:
        engine.dispose()


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
