"""Rasa's side of sealing (run in Rasa's environment by `tests.bench.privacy`): one turn
of the tracker store (load the conversation, add the turn's four events, save) with the
encrypted store and with Rasa's own `SQLTrackerStore`, turns interleaved, on SQLite.

    PYTHONPATH=. .venv-rasa/bin/python -m tests.bench.privacy_tracker DIR

Prints one JSON line: {"in clear": [seconds…], "sealed": [seconds…], "turns": [n]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from rasa_components.encrypted_tracker import EncryptedSQLTrackerStore

TURNS = 40
CONVERSATIONS = 8
TEXT = "Il mio padrone di casa vuole mandarmi via e non ho un contratto scritto, cosa posso fare?"


async def one_turn(store: SQLTrackerStore, sender: str, turn: int) -> float:
    start = time.perf_counter()
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(
        UserUttered(
            f"{TEXT} {turn}",
            {"name": "ask_housing_help", "confidence": 0.9},
            metadata={"language": "it", "city": "Torino"},
        )
    )
    tracker.update(ActionExecuted("action_services"))
    tracker.update(BotUttered(data={"custom": {"kind": "services", "topic": "housing"}}))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return time.perf_counter() - start


async def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    domain = Domain.empty()
    stores = {
        "in clear": SQLTrackerStore(domain=domain, dialect="sqlite", db=str(directory / "c.db")),
        "sealed": EncryptedSQLTrackerStore(
            domain=domain,
            dialect="sqlite",
            db=str(directory / "s.db"),
            key_file=str(directory / "text.key"),
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in stores}
    for conversation in range(CONVERSATIONS):
        for turn in range(TURNS):
            for name, store in stores.items():
                times[name].append(await one_turn(store, f"bench-{conversation}", turn))
    print(json.dumps({**times, "turns": [TURNS]}))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
