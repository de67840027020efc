"""Delivery addresses (e.g. a Telegram chat id) kept encrypted at rest.

A case must be able to reach the person again, but the database, the logs and the
mediators never hold the channel's id in clear. They are sealed like every other text at
rest (`rasa_components.sealing`, the deployment's text key); addresses written before
that, as bare Fernet tokens under a key derived from the pseudonym key, still open, and
`python -m bot.privacy rotate-text-key` re-seals them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from rasa_components.sealing import SealingError, TextSealer, is_sealed

KEY_PURPOSE = b"lgnet-assistant delivery address v1"


class AddressBox:
    def __init__(self, pseudonym_key: bytes, sealer: TextSealer | None = None) -> None:
        derived = base64.urlsafe_b64encode(
            hmac.new(pseudonym_key, KEY_PURPOSE, hashlib.sha256).digest()
        )
        self._legacy = Fernet(derived)
        # without a text key (encryption of texts off) addresses stay sealed, as before
        self._sealer = sealer or TextSealer([derived])

    def seal(self, address: str) -> str:
        return self._sealer.seal(address)

    def open(self, sealed: str) -> str:
        if is_sealed(sealed):
            return self._sealer.open(sealed)
        try:
            return self._legacy.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise SealingError("a delivery address could not be opened") from error

    def reseal(self, sealed: str) -> str:
        """The address sealed with the text key's first key (after a rotation)."""
        return self.seal(self.open(sealed))
