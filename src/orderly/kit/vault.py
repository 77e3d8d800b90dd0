"""Secrets at rest (carrier credentials, webhook signing secrets), encrypted with Fernet.

The Fernet key is derived (HKDF-SHA256) from ``ORDERLY_SECRET_KEY``. When that is unset, Orderly
generates a key once and keeps it in the data directory, in the file ``secret-key`` (mode 600):
every process sharing the data directory then shares the key. Several hosts need the same
``ORDERLY_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from orderly.kit.secrets import SECRET_KEY_FILE, KeySettings, secret_key

__all__ = ["SECRET_KEY_FILE", "Vault", "secret_key", "vault_for"]
# The HKDF label is part of every stored token's key: changing it would strand them all.
_INFO = b"orderly shipping secrets v1"


class Vault:
    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise ValueError(
                "a stored secret cannot be decrypted: ORDERLY_SECRET_KEY has changed"
            ) from None

    def seal_json(self, value: dict[str, str]) -> bytes:
        return self.seal(json.dumps(value, sort_keys=True))

    def open_json(self, token: bytes) -> dict[str, str]:
        loaded = json.loads(self.open(token))
        return {str(k): str(v) for k, v in loaded.items()}


def vault_for(settings: KeySettings) -> Vault:
    return Vault(secret_key(settings))
