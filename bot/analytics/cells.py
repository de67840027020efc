"""Adding to counters in cells, in one statement per cell, on SQLite and PostgreSQL alike:
INSERT … ON CONFLICT (the cell) DO UPDATE SET count = count + excluded.count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics.models import ReachRegister
from bot.kb.models import Base


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model)


def _keys(model: type[Base]) -> list[str]:
    return [column.name for column in inspect(model).primary_key]


async def add(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], counts: Sequence[str]
) -> None:
    """Add each row's `counts` columns to its cell (created at zero when new)."""
    if not rows:
        return
    statement = _insert(session, model)
    table = model.__table__
    statement = statement.on_conflict_do_update(
        index_elements=_keys(model),
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )
    await session.execute(statement, list(rows))


async def raise_registers(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Keep the highest rank of each register (a write only when it grows)."""
    if not rows:
        return
    statement = _insert(session, ReachRegister)
    table = ReachRegister.__table__
    statement = statement.on_conflict_do_update(
        index_elements=_keys(ReachRegister),
        set_={"rank": statement.excluded.rank},
        where=statement.excluded.rank > table.c.rank,
    )
    await session.execute(statement, list(rows))


async def insert_ignore(session: AsyncSession, model: type[Base], row: dict[str, Any]) -> None:
    """Insert a row unless its key exists (another process was first)."""
    statement = _insert(session, model).values(**row).on_conflict_do_nothing()
    await session.execute(statement)
