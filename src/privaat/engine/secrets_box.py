"""Small secrets kept in the store, encrypted: today the staff members' TOTP secrets.

The key is derived from ``settings.secret_key`` with HKDF-SHA256 (its own ``info``, so it is
never the key that signs links) and used with AES-256-GCM. Each value is bound to the row
it belongs to (associated data such as ``staff:3``): a value copied onto another row does
not decrypt. Changing the secret key makes stored values unreadable, so staff re-enrol.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privaat.errors import PrivaatError

VERSION = "v1."
_INFO = b"privaat store secrets v1"


class SecretUnreadable(PrivaatError):
    """A stored secret that does not decrypt: the secret key changed, or the value was moved."""


class SecretBox:
    """Encrypts and decrypts short strings with a key derived from the install's secret key."""

    __slots__ = ("_aead",)

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret_key.encode()
        )
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def seal(self, plaintext: str, *, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())
        return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, *, bound_to: str) -> str:
        if not sealed.startswith(VERSION):
            raise SecretUnreadable("a stored secret has an unknown format")
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(VERSION).encode("ascii"))
            return self._aead.decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
        except (InvalidTag, ValueError):
            raise SecretUnreadable(
                "a stored secret does not decrypt (was PRIVAAT_SECRET_KEY changed?)"
            ) from None
