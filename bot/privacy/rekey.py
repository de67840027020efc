"""Key rotation of the texts at rest: a new key seals everything again.

1. A new key is put first in the key file (the old ones stay: every process still opens
   what they sealed).
2. Every sealed column is read and written back sealed with the new key, in batches: case
   messages, notes, summaries, unanswered questions, delivery addresses (also those
   written before, under the key derived from the pseudonym key), and the data of Rasa's
   events when the tracker store is configured.
3. The old keys are removed from the file.

Run it with the app and Rasa stopped, or restart them afterwards: a process started
before step 3 keeps the old keys in memory, one started after has only the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text, update

from bot.handoff.addresses import AddressBox
from bot.handoff.models import CaseMessage, CaseNote, HandoffCase
from bot.kb.db import Database
from bot.kb.models import UnansweredMessage
from bot.settings import to_sync_url
from rasa_components.sealing import TextSealer, new_key, read_keys, write_keys

BATCH = 500
SEALED_COLUMNS = (
    (CaseMessage, CaseMessage.text),
    (CaseNote, CaseNote.text),
    (HandoffCase, HandoffCase.summary),
    (UnansweredMessage, UnansweredMessage.text),
)


@dataclass(frozen=True)
class RotationReport:
    values: int
    addresses: int
    tracker_events: int


async def rotate_text_key(
    database_url: str, key_file: Path, pseudonym_key: bytes, tracker_url: str | None
) -> RotationReport:
    old_keys = read_keys(key_file) if key_file.exists() else []
    fresh = new_key()
    write_keys(key_file, [fresh, *old_keys])
    sealer = TextSealer([fresh, *old_keys])
    database = Database(database_url, sealer)
    try:
        values = 0
        for model, column in SEALED_COLUMNS:
            values += await _reseal_column(database, model, column)
        addresses = await _reseal_addresses(database, AddressBox(pseudonym_key, sealer))
    finally:
        await database.dispose()
    events = reseal_tracker(tracker_url, sealer) if tracker_url else 0
    write_keys(key_file, [fresh])
    return RotationReport(values, addresses, events)


async def _reseal_column(database: Database, model: type, column: Any) -> int:
    """Read (opened with any key) and write back (sealed with the first key): the column
    type does both, so a plain load-and-store re-seals every row."""
    primary: Any = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    count, last = 0, None
    while True:
        async with database.session() as session:
            query = select(primary, column).order_by(primary).limit(BATCH)
            if last is not None:
                query = query.where(primary > last)
            rows = (await session.execute(query)).all()
            for key, value in rows:
                await session.execute(
                    update(model).where(primary == key).values({column.key: value})
                )
            await session.commit()
        if not rows:
            return count
        count += len(rows)
        last = rows[-1][0]


async def _reseal_addresses(database: Database, box: AddressBox) -> int:
    async with database.session() as session:
        rows = (
            await session.execute(
                select(HandoffCase.id, HandoffCase.delivery_address).where(
                    HandoffCase.delivery_address != ""
                )
            )
        ).all()
        for case_id, sealed in rows:
            await session.execute(
                update(HandoffCase)
                .where(HandoffCase.id == case_id)
                .values(delivery_address=box.reseal(sealed))
            )
        await session.commit()
    return len(rows)


def reseal_tracker(tracker_url: str, sealer: TextSealer) -> int:
    """The `data` of every event in Rasa's SQL tracker store (sealed or still in clear)."""
    engine = create_engine(to_sync_url(tracker_url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            rows = connection.execute(text("SELECT id, data FROM events")).all()
            for event_id, data in rows:
                if data is None:
                    continue
                connection.execute(
                    text("UPDATE events SET data = :data WHERE id = :id"),
                    {"data": sealer.seal(sealer.open(data)), "id": event_id},
                )
        return len(rows)
    finally:
        engine.dispose()
