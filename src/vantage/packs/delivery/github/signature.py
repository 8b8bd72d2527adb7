"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw request body with the webhook's secret."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def signature_of(secret: str, body: bytes) -> str:
    """The header value GitHub sends for ``body`` signed with ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body``; compared in constant time."""
    if not header:
        return False
    expected = signature_of(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().encode())
