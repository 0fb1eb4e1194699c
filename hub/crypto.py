"""Credentials encrypted at rest.

The key is derived from the master secret in settings (``HUB_SECRET_KEY`` or the key file
beside the database), never stored in the database itself.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(Exception):
    """Stored credentials cannot be read with this key (the secret key changed?)."""


def derive_key(master_secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose (``credentials``, ``sessions``) from the master secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"hub:{purpose}".encode()
    ).derive(master_secret.encode())


class Vault:
    """Encrypts and decrypts small JSON documents (a connection's secret fields)."""

    def __init__(self, master_secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(master_secret, "credentials")))

    def encrypt(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise DecryptionError(
                "stored credentials cannot be decrypted: HUB_SECRET_KEY or DATA_DIR/secret.key "
                "differs from the one they were saved with"
            ) from None

    def __repr__(self) -> str:
        return "Vault(<key hidden>)"
