"""Rasa's SQL tracker store with each event's data sealed at rest.

Rasa keeps every event of a conversation (the person's text, entities, the app's metadata)
as JSON in the `data` column of its `events` table. This store is Rasa's own
`SQLTrackerStore` with one change: that column is sealed with the deployment's text key
(`rasa_components.sealing`, the same key file as the app's texts), so a stolen tracker
database or dump reveals no conversation. The other columns (sender pseudonym, event type,
intent and action names, timestamp) stay readable: the retention purge and the person's
erasure find a conversation by `sender_id` without opening anything.

endpoints.yml:

    tracker_store:
      type: rasa_components.encrypted_tracker.EncryptedSQLTrackerStore
      dialect: sqlite            # or postgresql, with host/db/username as for type: SQL
      db: var/rasa-tracker.db
      key_file: var/text.key     # else $TEXT_KEY_FILE, else var/text.key

The key is read from that file, never from the command line. Events written before the
store was switched on (in clear) are still read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from rasa_components.sealing import KEY_FILE_ENV, TextSealer, load_or_create

DEFAULT_KEY_FILE = "var/text.key"


class _SealedData(TypeDecorator):  # type: ignore[type-arg]
    impl = sa.Text
    cache_ok = True
    sealer: ClassVar[TextSealer | None] = None

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None or self.sealer is None:
            return value
        return self.sealer.seal(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None or self.sealer is None:
            return value
        return self.sealer.open(value)


_Base: Any = declarative_base()


class _SealedEvent(_Base):  # type: ignore[misc,valid-type]
    """Rasa's `events` table, column for column, with `data` sealed."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, sa.Sequence("events_seq"), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    type_name = sa.Column(sa.String(255), nullable=False)
    timestamp = sa.Column(sa.Float)
    intent_name = sa.Column(sa.String(255))
    action_name = sa.Column(sa.String(255))
    data = sa.Column(_SealedData)


class EncryptedSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    Base = _Base
    SQLEvent = _SealedEvent

    def __init__(self, *args: Any, key_file: str | None = None, **kwargs: Any) -> None:
        path = Path(key_file or os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE)
        _SealedData.sealer = load_or_create(path)
        super().__init__(*args, **kwargs)
