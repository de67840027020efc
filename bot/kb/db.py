"""Engine and session factory. One `Database` per process, sessions per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.kb import sealed
from rasa_components.sealing import TextSealer


class Database:
    def __init__(self, url: str, sealer: TextSealer | None = None) -> None:
        """`sealer`: the key of the texts kept encrypted at rest (`bot.kb.sealed`)."""
        self.url = url
        self.sealer = sealer
        # hide_parameters: a failing statement's values (what people wrote) stay out of errors
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=True, hide_parameters=True
        )
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        sealed.attach(self.engine.sync_engine.dialect, sealer)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def make_private(self) -> None:
        """A SQLite database's files, readable by their owner only (they hold personal data)."""
        if not self.url.startswith("sqlite") or ":///" not in self.url:
            return
        path = Path(self.url.split(":///", 1)[1])
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists():
                file.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    # deleted rows are overwritten with zeros, not left in free pages (people's erasure)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
