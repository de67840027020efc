"""Files a staff member uploads for a preview, kept on the server (in the database, so that
any worker can read them) until they confirm or an hour passes. The confirmation names
the upload instead of sending the file again."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select

from bot.kb.db import Database
from bot.workspace.models import StaffUpload

UPLOAD_LIFETIME = dt.timedelta(hours=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def keep_upload(
    database: Database, account_id: int, kind: str, language: str, data: bytes
) -> str:
    token = secrets.token_urlsafe(24)
    async with database.session() as session:
        session.add(
            StaffUpload(
                token=token,
                account_id=account_id,
                kind=kind,
                language=language,
                data=data,
                expires_at=_now() + UPLOAD_LIFETIME,
            )
        )
        await session.commit()
    return token


async def find_upload(database: Database, account_id: int, kind: str, token: str) -> StaffUpload:
    """The account's own, unexpired upload; LookupError otherwise (a 404)."""
    async with database.session() as session:
        upload = await session.scalar(
            select(StaffUpload).where(
                StaffUpload.token == token,
                StaffUpload.account_id == account_id,
                StaffUpload.kind == kind,
                StaffUpload.expires_at > _now(),
            )
        )
    if upload is None:
        raise LookupError(token)
    return upload


async def forget_upload(database: Database, token: str) -> None:
    async with database.session() as session:
        await session.execute(delete(StaffUpload).where(StaffUpload.token == token))
        await session.commit()


async def purge_expired_uploads(database: Database) -> int:
    async with database.session() as session:
        result = await session.execute(delete(StaffUpload).where(StaffUpload.expires_at <= _now()))
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
