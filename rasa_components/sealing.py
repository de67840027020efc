"""Texts at rest, sealed with authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256).

One small format shared by the app (case messages, notes, summaries, unanswered questions,
delivery addresses) and Rasa's tracker store (`rasa_components.encrypted_tracker`): a
sealed value is ``enc1:`` followed by a Fernet token. Anything without the prefix is a
value written before encryption was switched on, and is read as it is.

The keys live in a file outside the database (one urlsafe-base64 Fernet key per line, the
first one seals, every one opens: `MultiFernet`), so that a stolen database file or backup
alone reveals no conversation. Rotation puts a new key first, re-seals every value with
it, then drops the old lines (`python -m bot.privacy rotate-text-key`).

It imports nothing from the app: Rasa's environment has `cryptography` but not the app.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc1:"
KEY_FILE_ENV = "TEXT_KEY_FILE"


class SealingError(Exception):
    """A sealed value that none of the keys opens (wrong key file, or tampered data)."""


class TextSealer:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_file(cls, path: Path) -> TextSealer:
        return cls(read_keys(path))

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, value: str) -> str:
        """The text of a sealed value; a value written in clear comes back as it is."""
        if not is_sealed(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise SealingError("a sealed text could not be opened with the keys") from error

    def open_token(self, token: str) -> str:
        """A bare Fernet token (no prefix), as delivery addresses were first written."""
        value = token if is_sealed(token) else PREFIX + token
        return self.open(value)

    def reseal(self, value: str) -> str:
        """The same text sealed with the first key (a value in clear gets sealed)."""
        if not is_sealed(value):
            return self.seal(value)
        try:
            token = self._fernet.rotate(value[len(PREFIX) :].encode())
        except InvalidToken as error:
            raise SealingError("a sealed text could not be opened with the keys") from error
        return PREFIX + token.decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def new_key() -> bytes:
    return Fernet.generate_key()


def read_keys(path: Path) -> list[bytes]:
    lines = path.read_text().split()
    return [line.encode() for line in lines if line and not line.startswith("#")]


def write_keys(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the key file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("".join(key.decode() + "\n" for key in keys))
    os.replace(temporary, path)


def load_or_create(path: Path) -> TextSealer:
    """The sealer of `path`, creating the file with one new key on first use (mode 0600).
    Two processes starting together (the app and Rasa) end up with the same key: the file
    is created only if it does not exist yet, atomically."""
    if not path.exists():
        candidate = path.with_name(f"{path.name}.{os.getpid()}.new")
        write_keys(candidate, [new_key()])
        try:
            os.link(candidate, path)  # whole, and only if nobody made it first
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return TextSealer.from_file(path)
