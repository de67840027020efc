"""Engine and session factory. One `Database` per process.

A store call opens `Database.session()`. Outside a unit of work that is a session of its own,
committed by the call. Inside `Database.unit_of_work()` (one inbound message: see
`bot.conversation`) every store call of the task that opened the unit shares the unit's
session, and a store call's `commit()` only flushes: the unit commits once, at its end, or
at a `checkpoint()` that its owner places before it waits on something outside the database
(Rasa, Redis pub/sub, Telegram). A commit gives the connection back to the pool, so no
connection is held while Rasa thinks, and it forgets what the unit read (the identity map
is emptied), so the next read sees what other workers wrote meanwhile. A rollback inside a
unit undoes everything since its last commit: a message's writes stand or fall together.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

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
        self._unit_sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_UnitSession
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        unit = self._current_unit()
        if unit is None:
            async with self.sessions() as session:
                yield session
            return
        try:
            yield unit.session
        except BaseException:
            await unit.session.rollback()  # as a store call's own session would on leaving
            raise

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """One session for everything the current task stores until this ends (nested: the
        outer unit goes on)."""
        if self._current_unit() is not None:
            yield
            return
        async with self._unit_sessions() as session:
            unit = _Unit(self, session, asyncio.current_task())
            token = _units.set(unit)
            try:
                yield
                await unit.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                _units.reset(token)

    async def checkpoint(self) -> None:
        """Commit what the current unit of work stored so far (nothing outside a unit)."""
        unit = self._current_unit()
        if unit is not None:
            await unit.commit()

    def _current_unit(self) -> _Unit | None:
        unit = _units.get()
        if unit is None or unit.database is not self or unit.task is not asyncio.current_task():
            return None  # none, another database's, or inherited by a task it started
        return unit

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


class _UnitSession(Session):
    """The session of a unit of work: a store call's commit flushes; the unit commits."""

    deferring = True

    def commit(self) -> None:
        if self.deferring:
            self.flush()
        else:
            super().commit()

    def rollback(self) -> None:
        self.expunge_all()  # what callers hold stays readable, as after a store call's session
        super().rollback()


@dataclass(frozen=True)
class _Unit:
    database: Database
    session: AsyncSession
    task: asyncio.Task[object] | None

    async def commit(self) -> None:
        sync = self.session.sync_session
        assert isinstance(sync, _UnitSession)
        sync.deferring = False
        try:
            await self.session.commit()
        finally:
            sync.deferring = True
        self.session.expunge_all()  # the next read sees what others wrote since


_units: ContextVar[_Unit | None] = ContextVar("unit_of_work", default=None)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    # deleted rows are overwritten with zeros, not left in free pages (people's erasure)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
