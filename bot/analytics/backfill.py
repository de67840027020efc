"""The statistics of what happened before they were kept, once, from the data still kept:
handoff cases (their events, waits, outcomes, ratings), the unanswered questions (as turns
that fell back) and people's profiles (in the people reached of the week they were last
seen). Claimed through the database, so that one process does it."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.analytics.batch import CellBatch
from bot.analytics.facts import Event, Result, Where, turn_rows
from bot.analytics.models import HandoffCell, HourCell, StatMark, TurnCell
from bot.analytics.reach import register_and_rank
from bot.analytics.recorder import FactRecorder, case_rows
from bot.handoff.models import HandoffCase
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage

logger = logging.getLogger(__name__)
MARK = "backfill"


async def backfill_once(database: Database) -> bool:
    """Backfill unless it was done; True if this call did it (all or nothing)."""
    async with database.session() as session:
        session.add(StatMark(name=MARK))
        try:
            await session.flush()
        except IntegrityError:
            return False
        batch = CellBatch()
        await _cases(session, batch)
        await _unanswered(session, batch)
        await _people(session, batch, FactRecorder(database))
        await batch.write(session)
        await session.commit()
    logger.info("statistics backfilled from the data still kept")
    return True


async def _cases(session: AsyncSession, batch: CellBatch) -> None:
    cases = await session.scalars(select(HandoffCase).options(selectinload(HandoffCase.city)))
    for case in cases:
        moments = [
            (Event.OPENED, case.created_at),
            (Event.QUEUED, case.queued_at),
            (Event.TAKEN, case.taken_at),
            (Event.CLOSED, case.closed_at),
            (Event.RATED, case.closed_at if case.rating else None),
        ]
        for event, moment in moments:
            if moment is None:
                continue
            for row in case_rows(case, event, moment):
                batch.add(HandoffCell, row)
            if event == Event.QUEUED:
                city = case.city.slug if case.city else ""
                where = Where(moment, case.channel, case.language, city)
                for hour in where.hour_cells(queued=1):
                    batch.add(HourCell, hour)


async def _unanswered(session: AsyncSession, batch: CellBatch) -> None:
    for message in await session.scalars(select(UnansweredMessage)):
        where = Where(message.received_at, "", message.language, message.city_slug or "")
        for row in turn_rows(where, None, Result.FALLBACK):
            batch.add(TurnCell, row)
        for hour in where.hour_cells(turns=1):
            batch.add(HourCell, hour)


async def _people(session: AsyncSession, batch: CellBatch, recorder: FactRecorder) -> None:
    users = await session.scalars(select(BotUser).options(selectinload(BotUser.city)))
    for user in users:
        seen: dt.datetime = user.updated_at or user.created_at
        where = Where(seen, user.channel, user.language, user.city.slug if user.city else "")
        salt = await recorder.salt(session, where.bucket.year)
        register, rank = register_and_rank(salt, user.pseudonym)
        for cell in where.reach_cells():
            batch.register(cell, register, rank)
