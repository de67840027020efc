"""Writing and reading the privacy log (`bot.privacy.models`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.kb.db import Database
from bot.privacy.models import PrivacyAction, PrivacyLogEntry


class PrivacyLog:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(
        self,
        action: PrivacyAction,
        actor_id: int | None,
        case_ids: Sequence[int | None] = (None,),
        detail: str = "",
    ) -> None:
        """One line per case concerned (or one line with no case)."""
        async with self._database.session() as session:
            for case_id in case_ids or (None,):
                session.add(
                    PrivacyLogEntry(
                        action=action, actor_id=actor_id, case_id=case_id, detail=detail[:128]
                    )
                )
            await session.commit()

    async def recent(self, limit: int = 500) -> list[PrivacyLogEntry]:
        async with self._database.session() as session:
            rows = await session.scalars(
                select(PrivacyLogEntry)
                .options(selectinload(PrivacyLogEntry.actor))
                .order_by(PrivacyLogEntry.id.desc())
                .limit(limit)
            )
            return list(rows)

    async def was_withdrawn(self, case_id: int) -> bool:
        """The person erased this case themselves (the console says so instead of a 404)."""
        async with self._database.session() as session:
            found = await session.scalar(
                select(PrivacyLogEntry.id).where(
                    PrivacyLogEntry.case_id == case_id,
                    PrivacyLogEntry.action.in_(
                        (PrivacyAction.WITHDRAWN, PrivacyAction.DATA_ERASED)
                    ),
                )
            )
            return found is not None
