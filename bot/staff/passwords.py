"""Staff passwords: argon2 hashes, and a check that takes as long for an unknown username
as for a known one (no username enumeration by timing)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash of nothing anybody types, verified when there is no account to check against."""
    return _hasher.hash("an unusable password, checked only to spend the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Verify against the account's hash, or a dummy one when there is none (same cost)."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
