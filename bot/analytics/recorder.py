"""The writer of facts on the chat path and at handoff events.

One short transaction per fact: a counter added to a cell or two, and the person's
registers in the people-reached sketches (skipped when this process already wrote an
equal or higher rank there: a person's second message of the week usually writes no
register at all). A failure to write a fact is logged and never reaches the person.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics import cells
from bot.analytics.facts import Event, Where, handoff_rows, minutes_bin, result_of, turn_rows
from bot.analytics.models import HandoffCell, HourCell, ReachSalt, TurnCell
from bot.analytics.reach import register_and_rank
from bot.core.assistant import TOPIC_INTENTS, Turn
from bot.core.users import Profile
from bot.handoff.models import CaseAction, HandoffCase
from bot.kb.db import Database

logger = logging.getLogger(__name__)

SEEN_LIMIT = 200_000
TOPIC_OF_INTENT = {intent: topic.value for topic, intent in TOPIC_INTENTS.items()}
CASE_EVENTS = {
    CaseAction.OPENED: Event.OPENED,
    CaseAction.QUEUED: Event.QUEUED,
    CaseAction.TAKEN: Event.TAKEN,
    CaseAction.RELEASED: Event.RELEASED,
    CaseAction.TRANSFERRED: Event.TRANSFERRED,
    CaseAction.CLOSED: Event.CLOSED,
    CaseAction.LEFT: Event.CLOSED,
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _seconds(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    if later.tzinfo is None:
        later = later.replace(tzinfo=dt.UTC)
    if earlier.tzinfo is None:
        earlier = earlier.replace(tzinfo=dt.UTC)
    return (later - earlier).total_seconds()


def case_rows(case: HandoffCase, event: Event, moment: dt.datetime) -> list[dict[str, Any]]:
    """The handoff cells an event of `case` adds to: a wait, an outcome with its handling
    time, or a rating, alone with the cell's place and time; the other events with the
    case's topic and reason."""
    city = case.city.slug if case.city is not None else ""
    where = Where(moment, case.channel, case.language, city)
    extra: dict[str, Any] = {}
    if event == Event.TAKEN:
        wait = _seconds(case.taken_at, case.queued_at)
        extra["minutes"] = minutes_bin(wait) if wait is not None else -1
    elif event == Event.CLOSED:
        handling = _seconds(case.closed_at, case.taken_at)
        extra["minutes"] = minutes_bin(handling) if handling is not None else -1
        extra["detail"] = case.outcome or ""
    elif event == Event.RATED:
        extra["rating"] = case.rating or 0
    if extra:  # waits, outcomes and ratings are not crossed with the topic or the reason
        return handoff_rows(where, event, **extra)
    return handoff_rows(where, event, topic=case.topic, reason=case.reason)


class FactRecorder:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._salts: dict[int, bytes] = {}
        self._seen: dict[tuple[Any, ...], int] = {}

    async def turn(self, channel: str, profile: Profile, turn: Turn) -> None:
        """An assistant turn; and the offer of a mediator when the turn made one."""
        where = Where(utcnow(), channel, turn.loc.language, profile.city_slug or "")
        topic = turn.topic or TOPIC_OF_INTENT.get(turn.intent or "")
        offered = turn.handoff_offer is not None or turn.misunderstood_twice
        reason = "requested" if turn.handoff_offer is not None else "not_understood"
        handoff = handoff_rows(where, Event.OFFERED, topic=topic, reason=reason)
        await self._write(
            where,
            pseudonym=profile.pseudonym,
            turns=turn_rows(where, topic, result_of(turn.intent)),
            handoffs=handoff if offered else [],
        )

    async def safeguarding(self, channel: str, profile: Profile, category: str) -> None:
        """Words that suggest danger: the category is counted, nothing else of the message."""
        where = Where(utcnow(), channel, profile.language, profile.city_slug or "")
        rows = handoff_rows(where, Event.SAFEGUARDING, reason="safeguarding", detail=category)
        await self._write(where, pseudonym=profile.pseudonym, handoffs=rows)

    async def case_event(self, case: HandoffCase, action: str) -> None:
        """A line of a case's history (or its rating): the matching handoff fact."""
        event = Event.RATED if action == Event.RATED else CASE_EVENTS.get(CaseAction(action))
        if event is None:
            return
        moment = utcnow()
        city = case.city.slug if case.city is not None else ""
        where = Where(moment, case.channel, case.language, city)
        await self._write(
            where, handoffs=case_rows(case, event, moment), queued=event == Event.QUEUED
        )

    async def _write(
        self,
        where: Where,
        *,
        pseudonym: str | None = None,
        turns: list[dict[str, Any]] | None = None,
        handoffs: list[dict[str, Any]] | None = None,
        queued: bool = False,
    ) -> None:
        try:
            async with self._database.session() as session:
                await cells.add(session, TurnCell, turns or [], ["turns"])
                await cells.add(session, HandoffCell, handoffs or [], ["events"])
                if turns or queued:
                    hours = where.hour_cells(turns=int(bool(turns)), queued=int(queued))
                    await cells.add(session, HourCell, hours, ["turns", "queued"])
                registers = await self._registers(session, where, pseudonym) if pseudonym else []
                await cells.raise_registers(session, registers)
                await session.commit()
        except Exception:
            logger.exception("a statistics fact could not be written (the chat goes on)")
            return
        for row in registers:
            self._remember(row)

    async def _registers(
        self, session: AsyncSession, where: Where, pseudonym: str
    ) -> list[dict[str, Any]]:
        salt = await self.salt(session, where.bucket.year)
        register, rank = register_and_rank(salt, pseudonym)
        rows = []
        for cell in where.reach_cells():
            key = (
                cell["grain"],
                cell["bucket"],
                cell["channel"],
                cell["language"],
                cell["city"],
                register,
            )
            if self._seen.get(key, 0) < rank:
                rows.append({**cell, "register": register, "rank": rank})
        return rows

    def _remember(self, row: dict[str, Any]) -> None:
        if len(self._seen) >= SEEN_LIMIT:
            self._seen.clear()
        key = (
            row["grain"],
            row["bucket"],
            row["channel"],
            row["language"],
            row["city"],
            row["register"],
        )
        self._seen[key] = max(self._seen.get(key, 0), row["rank"])

    async def salt(self, session: AsyncSession, year: int) -> bytes:
        """The year's salt, made by the first writer of the year (others read it)."""
        if year in self._salts:
            return self._salts[year]
        self._salts.clear()  # a past year's salt is not kept in memory either
        found = await session.scalar(select(ReachSalt.salt).where(ReachSalt.year == year))
        if found is None:
            new = {"year": year, "salt": secrets.token_bytes(32)}
            await cells.insert_ignore(session, ReachSalt, new)
            found = await session.scalar(select(ReachSalt.salt).where(ReachSalt.year == year))
        assert found is not None
        self._salts[year] = found
        return found
