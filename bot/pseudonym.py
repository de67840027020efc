"""Keyed pseudonyms: channel user ids never reach Rasa, the database or the logs in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from pathlib import Path

PSEUDONYM_LENGTH = 32
TAG_LENGTH = 16


class Pseudonymizer:
    def __init__(self, key: bytes, previous: Sequence[bytes] = ()) -> None:
        """`previous`: the keys used before a rotation (newest first), so that a person
        known under one of them is found again (`bot.privacy.rekey`)."""
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key
        self._previous = [Pseudonymizer(old) for old in previous]

    def __call__(self, channel: str, user_id: int | str) -> str:
        message = f"{channel}:{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]

    def earlier(self, channel: str, user_id: int | str) -> tuple[str, ...]:
        """The same person's pseudonyms under the previous keys (empty: no rotation)."""
        return tuple(old(channel, user_id) for old in self._previous)

    def tag(self, purpose: str, value: str) -> str:
        """A short keyed hash of something that must be counted but not kept (an address)."""
        message = f"tag:{purpose}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:TAG_LENGTH]


def load_or_create_key(configured: str | None, key_file: Path) -> bytes:
    """The configured key, else one kept in `key_file` (created on first use, mode 0600)."""
    if configured:
        return configured.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    key_file.write_bytes(key)
    key_file.chmod(0o600)
    return key


def read_previous_keys(key_file: Path) -> list[bytes]:
    """The keys a rotation retired, newest first (one a line), kept for a while."""
    if not key_file.exists():
        return []
    return [line.encode() for line in key_file.read_text().split() if line]
