"""Keyed pseudonyms: channel user ids never reach Rasa, the database or the logs in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

PSEUDONYM_LENGTH = 32
TAG_LENGTH = 16


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def __call__(self, channel: str, user_id: int | str) -> str:
        message = f"{channel}:{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]

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
