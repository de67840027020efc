"""Key rotations: the texts' key (below) and the pseudonym key (`rotate_pseudonym_key`).

The texts at rest: a new key seals everything again.

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

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text, update

from bot.handoff.addresses import AddressBox
from bot.handoff.models import CaseMessage, CaseNote, HandoffCase
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage
from bot.pseudonym import Pseudonymizer, read_previous_keys
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


# --- the pseudonym key ----------------------------------------------------------------------


class Renamer:
    """Moves a person's history from an old pseudonym to a new one, everywhere: the
    profile, their cases (open ones included), unanswered questions and Rasa's
    conversation. Nothing is split: a person is found again under the new key."""

    def __init__(self, database: Database, tracker_url: str | None) -> None:
        self._database = database
        self._tracker_url = tracker_url

    async def adopt(self, new: str, earlier: tuple[str, ...]) -> bool:
        """At a person's message after a rotation: if only an earlier pseudonym is known,
        rename it (one primary-key lookup when nothing is to be done)."""
        async with self._database.session() as session:
            if await session.get(BotUser, new) is not None:
                return False
        for old in earlier:
            if await self.rename(old, new):
                return True
        return False

    async def rename(self, old: str, new: str) -> bool:
        async with self._database.session() as session:
            person = await session.get(BotUser, old)
            if person is None or await session.get(BotUser, new) is not None:
                return False
            session.add(
                BotUser(
                    pseudonym=new,
                    channel=person.channel,
                    language=person.language,
                    language_chosen=person.language_chosen,
                    city_id=person.city_id,
                    misunderstood_in_a_row=person.misunderstood_in_a_row,
                    handoff_offered_at=person.handoff_offered_at,
                    created_at=person.created_at,
                )
            )
            await session.flush()
            for model in (HandoffCase, UnansweredMessage):
                await session.execute(
                    update(model).where(model.user_pseudonym == old).values(user_pseudonym=new)
                )
            await session.delete(person)
            await session.commit()
        if self._tracker_url:
            rename_conversation(self._tracker_url, old, new)
        return True


def rename_conversation(tracker_url: str, old: str, new: str) -> int:
    engine = create_engine(to_sync_url(tracker_url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            result = connection.execute(
                text("UPDATE events SET sender_id = :new WHERE sender_id = :old"),
                {"new": new, "old": old},
            )
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class PseudonymRotationReport:
    renamed: int  # people with a case, renamed at once (their address gives their id)
    addresses: int  # delivery addresses sealed again


async def rotate_pseudonym_key(
    database_url: str,
    key_file: Path,
    previous_file: Path,
    sealer: TextSealer | None,
    tracker_url: str | None,
) -> PseudonymRotationReport:
    """A new pseudonym key. The old one goes first into `previous_file`: a person who
    writes again is found under it and renamed (`Renamer.adopt`). People with a case are
    renamed at once, from the case's delivery address (the Telegram chat id of a private
    chat is the user id; the web chat's address is its session), so that a mediator's
    reply still reaches them and the case stays theirs. Addresses sealed under the old key
    (encryption of texts off) are sealed again under the new one."""
    old_key = key_file.read_bytes().strip()
    new_key_value = secrets.token_hex(32).encode()
    old, new = Pseudonymizer(old_key), Pseudonymizer(new_key_value)
    old_box, new_box = AddressBox(old_key, sealer), AddressBox(new_key_value, sealer)
    database = Database(database_url, sealer)
    renamer = Renamer(database, tracker_url)
    renamed = addresses = 0
    try:
        async with database.session() as session:
            rows = (
                await session.execute(
                    select(
                        HandoffCase.id,
                        HandoffCase.user_pseudonym,
                        HandoffCase.channel,
                        HandoffCase.delivery_address,
                    )
                )
            ).all()
        moves: dict[str, str] = {}
        resealed: dict[int, str] = {}
        for case_id, pseudonym, channel, sealed in rows:
            if not sealed:
                continue
            address = old_box.open(sealed)
            resealed[case_id] = new_box.seal(address)
            if old(channel, address) == pseudonym:
                moves[pseudonym] = new(channel, address)
        async with database.session() as session:
            for case_id, value in resealed.items():
                await session.execute(
                    update(HandoffCase)
                    .where(HandoffCase.id == case_id)
                    .values(delivery_address=value)
                )
            await session.commit()
        addresses = len(resealed)
        for before, after in moves.items():
            renamed += await renamer.rename(before, after)
    finally:
        await database.dispose()
    previous = [old_key, *read_previous_keys(previous_file)]
    write_keys(previous_file, previous)
    write_keys(key_file, [new_key_value])
    return PseudonymRotationReport(renamed, addresses)
