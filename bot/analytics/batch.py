"""Facts gathered in memory and written in bulk (the backfill, the benchmark's synthetic
year): identical cells are added together before they are written."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics import cells
from bot.analytics.models import HandoffCell, HourCell, ReachRegister, TurnCell
from bot.kb.models import Base

CHUNK = 5_000
_COUNTS: dict[type[Base], tuple[str, ...]] = {
    TurnCell: ("turns",),
    HandoffCell: ("events",),
    HourCell: ("turns", "queued"),
}


class CellBatch:
    def __init__(self) -> None:
        self._counts: dict[type[Base], Counter[tuple[tuple[str, Any], ...]]] = {
            model: Counter() for model in _COUNTS
        }
        self._hour_queued: Counter[tuple[tuple[str, Any], ...]] = Counter()
        self._ranks: dict[tuple[Any, ...], int] = {}

    def add(self, model: type[Base], row: dict[str, Any]) -> None:
        names = _COUNTS[model]
        key = tuple((k, v) for k, v in row.items() if k not in names)
        self._counts[model][key] += row[names[0]]
        if model is HourCell:
            self._hour_queued[key] += row["queued"]

    def register(self, cell: dict[str, Any], register: int, rank: int) -> None:
        key = (
            cell["grain"],
            cell["bucket"],
            cell["channel"],
            cell["language"],
            cell["city"],
            register,
        )
        self._ranks[key] = max(self._ranks.get(key, 0), rank)

    async def write(self, session: AsyncSession) -> None:
        for model, names in _COUNTS.items():
            rows = []
            for key, count in self._counts[model].items():
                row = dict(key)
                row[names[0]] = count
                if model is HourCell:
                    row["queued"] = self._hour_queued[key]
                rows.append(row)
            for start in range(0, len(rows), CHUNK):
                await cells.add(session, model, rows[start : start + CHUNK], names)
        names = ("grain", "bucket", "channel", "language", "city", "register")
        registers = [
            {**dict(zip(names, key, strict=True)), "rank": k} for key, k in self._ranks.items()
        ]
        for start in range(0, len(registers), CHUNK):
            await cells.raise_registers(session, registers[start : start + CHUNK])


__all__ = ["CellBatch", "ReachRegister"]
