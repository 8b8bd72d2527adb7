"""The API key format ``vk_<prefix>_<secret>``: minting, parsing and constant-time checking."""

from __future__ import annotations

import hmac
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from vantage.core.auth.principal import Scope
from vantage.core.auth.service.tokens import sha256_hex

KEY_MARKER = "vk"
PREFIX_LENGTH = 8
SECRET_BYTES = 24  # 192 bits; the prefix adds none, it is an index, not a secret
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_PATTERN = re.compile(r"^vk_([a-z0-9]{8})_([A-Za-z0-9_-]{32,128})$")


@dataclass(frozen=True)
class MintedKey:
    """A new key: the full text is shown once, only ``secret_hash`` is stored."""

    key: str
    prefix: str
    secret_hash: str


@dataclass(frozen=True)
class PresentedKey:
    prefix: str
    secret: str


def mint_api_key() -> MintedKey:
    """A new random key."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return MintedKey(
        key=f"{KEY_MARKER}_{prefix}_{secret}", prefix=prefix, secret_hash=sha256_hex(secret)
    )


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(f"{KEY_MARKER}_")


def parse_api_key(credential: str) -> PresentedKey | None:
    """The prefix and secret of a well-formed key, else None."""
    match = _KEY_PATTERN.match(credential)
    if match is None:
        return None
    return PresentedKey(prefix=match.group(1), secret=match.group(2))


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Whether ``secret`` hashes to ``secret_hash``, compared in constant time."""
    return hmac.compare_digest(sha256_hex(secret).encode(), secret_hash.encode())


def encode_scopes(scopes: Iterable[Scope]) -> str:
    return ",".join(sorted({scope.value for scope in scopes}))


def decode_scopes(stored: str) -> frozenset[Scope]:
    """The scopes of a stored key; unknown names (from a newer release) grant nothing."""
    known = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in stored.split(",") if name in known)


def key_is_live(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    """Neither revoked nor expired at ``now``."""
    return revoked_at is None and (expires_at is None or expires_at > now)
