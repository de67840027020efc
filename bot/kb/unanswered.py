"""Messages the bot could not understand, kept for staff to read, group and turn into
training data (`bot.workspace.unanswered`), encrypted at rest. Staff never see who wrote
them; the sender's pseudonym is kept for the person's own access and erasure. Deleted with
retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select

from bot.kb.db import Database
from bot.kb.models import UnansweredMessage

MAX_STORED_CHARS = 1000


class UnansweredLog:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(
        self,
        language: str,
        text: str,
        guessed_intent: str,
        city_slug: str | None,
        user_pseudonym: str | None = None,
    ) -> None:
        """`user_pseudonym` is kept only for the person's erasure and access (never shown)."""
        async with self._database.session() as session:
            session.add(
                UnansweredMessage(
                    language=language,
                    text=text[:MAX_STORED_CHARS],
                    guessed_intent=guessed_intent,
                    city_slug=city_slug,
                    user_pseudonym=user_pseudonym,
                )
            )
            await session.commit()

    async def recent(
        self, language: str | None = None, days: int = 90, limit: int = 2000
    ) -> Sequence[UnansweredMessage]:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        query = select(UnansweredMessage).where(UnansweredMessage.received_at >= since)
        if language:
            query = query.where(UnansweredMessage.language == language)
        async with self._database.session() as session:
            rows = await session.scalars(
                query.order_by(UnansweredMessage.received_at.desc()).limit(limit)
            )
            return rows.all()

    async def purge_older_than(self, days: int) -> int:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        async with self._database.session() as session:
            result = await session.execute(
                delete(UnansweredMessage).where(UnansweredMessage.received_at < cutoff)
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
