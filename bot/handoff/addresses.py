"""Delivery addresses (e.g. a Telegram chat id) kept encrypted at rest.

A case must be able to reach the person again, but the database, the logs and the
mediators never hold the channel's id in clear. The key is derived from the pseudonym key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet

KEY_PURPOSE = b"lgnet-assistant delivery address v1"


class AddressBox:
    def __init__(self, pseudonym_key: bytes) -> None:
        derived = hmac.new(pseudonym_key, KEY_PURPOSE, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
