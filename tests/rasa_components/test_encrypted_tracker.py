"""Rasa's tracker store with sealed events (runs in Rasa's environment: see Makefile, test)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_components.encrypted_tracker import EncryptedSQLTrackerStore
from rasa_components.sealing import TextSealer, is_sealed


def test_events_are_sealed_at_rest_and_read_back(tmp_path: Path) -> None:
    key_file = tmp_path / "text.key"
    database = tmp_path / "tracker.db"
    store = EncryptedSQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(database), key_file=str(key_file)
    )
    tracker = DialogueStateTracker("a-pseudonym", [])
    tracker.update(UserUttered("zqmarker mi hanno rubato il permesso", {"name": "greet"}))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))

    again = asyncio.run(store.retrieve("a-pseudonym"))
    assert again is not None
    assert again.latest_message is not None
    assert again.latest_message.text == "zqmarker mi hanno rubato il permesso"
    assert b"zqmarker" not in database.read_bytes()
    rows = sqlite3.connect(database).execute("SELECT sender_id, data FROM events").fetchall()
    assert {sender for sender, _ in rows} == {"a-pseudonym"}  # found for erasure in clear
    assert all(is_sealed(data) for _, data in rows)
    sealer = TextSealer.from_file(key_file)
    assert "zqmarker" in sealer.open(rows[0][1])
