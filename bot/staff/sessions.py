"""Staff sessions kept on the server: the browser's cookie holds a random token, the
database its hash and expiry. Ending a session deletes the row, so a copied cookie stops
working at once, in every worker."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select

from bot.kb.db import Database
from bot.staff.models import StaffAccount, StaffSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StaffSessions:
    def __init__(self, database: Database, lifetime: dt.timedelta) -> None:
        self._database = database
        self.lifetime = lifetime

    async def open(self, account_id: int) -> str:
        token = secrets.token_urlsafe(32)
        async with self._database.session() as session:
            session.add(
                StaffSession(
                    token_hash=_digest(token),
                    account_id=account_id,
                    expires_at=_now() + self.lifetime,
                )
            )
            await session.commit()
        return token

    async def account(self, token: str) -> StaffAccount | None:
        """The active account of a live session, else None."""
        async with self._database.session() as session:
            return await session.scalar(
                select(StaffAccount)
                .join(StaffSession, StaffSession.account_id == StaffAccount.id)
                .where(
                    StaffSession.token_hash == _digest(token),
                    StaffSession.expires_at > _now(),
                    StaffAccount.active.is_(True),
                )
            )

    async def end_all(self, account_id: int) -> int:
        """End every session of an account (sign-out, new password, disabled, new role)."""
        async with self._database.session() as session:
            result = await session.execute(
                delete(StaffSession).where(StaffSession.account_id == account_id)
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge_expired(self) -> int:
        async with self._database.session() as session:
            result = await session.execute(
                delete(StaffSession).where(StaffSession.expires_at <= _now())
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
