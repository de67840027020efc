"""A column type for texts kept encrypted at rest (`rasa_components.sealing`).

The key belongs to the database, not to the process: `Database(url, sealer=...)` puts the
sealer on its engine's dialect, and the column type finds it there when it writes or
reads a value. A database opened without a sealer (encryption off) writes in clear; it
still reads values written in clear, and returns sealed values unopened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from rasa_components import sealing
from rasa_components.sealing import TextSealer

DIALECT_ATTRIBUTE = "text_sealer"


def sealer_of(dialect: Dialect) -> TextSealer | None:
    sealer = getattr(dialect, DIALECT_ATTRIBUTE, None)
    return sealer if isinstance(sealer, TextSealer) else None


def attach(dialect: Dialect, sealer: TextSealer | None) -> None:
    setattr(dialect, DIALECT_ATTRIBUTE, sealer)


class SealedText(TypeDecorator[str]):
    """Text sealed on the way in and opened on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        sealer = sealer_of(dialect)
        if value is None or sealer is None or value == "":
            return value
        return sealer.seal(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        sealer = sealer_of(dialect)
        if value is None or sealer is None:
            return value
        return sealer.open(str(value))


def load_sealer(enabled: bool, key_file: Path) -> TextSealer | None:
    """The deployment's sealer (its key file is created on first use), or None when off."""
    return sealing.load_or_create(key_file) if enabled else None
