"""Closing a year of people-reached sketches: its salt is deleted, for good."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from bot.analytics.models import ReachSalt
from bot.analytics.periods import ITALY
from bot.kb.db import Database


async def close_years(database: Database, today: dt.date | None = None) -> int:
    """Delete the salts of the years before this one; how many were deleted."""
    year = (today or dt.datetime.now(ITALY).date()).year
    async with database.session() as session:
        result = await session.execute(delete(ReachSalt).where(ReachSalt.year < year))
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
