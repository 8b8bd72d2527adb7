"""Webhook secrets at rest: AES-GCM under a key derived from the server's secret key.

A source holds its secret either encrypted here or as the name of an environment variable; the
plain secret is only ever produced to check a signature, never returned by the API.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_PURPOSE = b"vantage.delivery.webhook-secrets"


class SecretBox:
    """Encrypts and decrypts source secrets with one server-wide key."""

    def __init__(self, server_secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(
            server_secret.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> bytes:
        """The secret encrypted, nonce first."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), KEY_PURPOSE)

    def open(self, sealed: bytes) -> str | None:
        """The secret, or None when it was sealed under another server key."""
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], KEY_PURPOSE)
        except (InvalidTag, ValueError):
            return None
        return plain.decode()


def source_secret(
    box: SecretBox,
    sealed: bytes | None,
    env_name: str | None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """A source's webhook secret from its sealed copy or its environment variable."""
    if sealed is not None:
        return box.open(sealed)
    if env_name:
        value = (os.environ if environ is None else environ).get(env_name)
        return value or None
    return None
