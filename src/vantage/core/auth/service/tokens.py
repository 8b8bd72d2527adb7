"""Access tokens (HS256 JWTs with a pinned algorithm and key id) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from vantage.config import Settings
from vantage.core.auth.models import Role

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "iss", "aud", "sub", "typ")
# Tolerated clock difference between the processes that sign and verify.
CLOCK_LEEWAY_SECONDS = 5
REFRESH_TOKEN_BYTES = 32  # 256 bits from the OS CSPRNG
_ROW_ID = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired or not an access token; the reason is for logs."""


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims of an access token."""

    user_id: int
    tenant_id: int
    role: Role
    token_version: int
    token_id: str


def sha256_hex(secret: str) -> str:
    """The hex SHA-256 of a high-entropy secret (tokens and API keys; never passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> str:
    """A fresh opaque refresh token."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def new_family_id() -> str:
    return uuid.uuid4().hex


def key_id_for(secret: str) -> str:
    """A public name for the signing key; it changes when the secret does."""
    digest = hashlib.sha256(b"vantage-jwt-kid:" + secret.encode()).hexdigest()
    return f"hs256-{digest[:16]}"


class AccessTokens:
    """Signs and verifies access tokens with the one key of these settings."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.secret_key
        self._key_id = key_id_for(self._secret)
        # Keys are looked up by exact kid in this mapping only: a kid never names a file or URL.
        self._keys = {self._key_id: self._secret}
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.ttl = timedelta(seconds=settings.access_token_ttl_seconds)

    @property
    def key_id(self) -> str:
        return self._key_id

    def issue(
        self, *, user_id: int, tenant_id: int, role: Role, token_version: int, now: datetime
    ) -> str:
        """A signed access token for this user, valid for the configured lifetime."""
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "typ": ACCESS_TYPE,
            "sub": str(user_id),
            "tid": tenant_id,
            "role": role.value,
            "tv": token_version,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM, headers={"kid": self._key_id})

    def verify(self, token: str) -> AccessClaims:
        """The claims of a genuine, current access token; ``InvalidTokenError`` otherwise."""
        key = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(type(error).__name__) from error
        return _access_claims(claims)

    def _key_for(self, token: str) -> str:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidTokenError("malformed header") from error
        if header.get("alg") != ALGORITHM:
            raise InvalidTokenError("algorithm not allowed")
        key_id = header.get("kid")
        if not isinstance(key_id, str) or key_id not in self._keys:
            raise InvalidTokenError("unknown key id")
        return self._keys[key_id]


def _access_claims(claims: dict[str, Any]) -> AccessClaims:
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidTokenError("not an access token")
    subject, tenant_id, version = claims.get("sub"), claims.get("tid"), claims.get("tv")
    if not (isinstance(subject, str) and _ROW_ID.match(subject) and int(subject) <= MAX_ROW_ID):
        raise InvalidTokenError("malformed subject")
    if not isinstance(tenant_id, int) or not isinstance(version, int):
        raise InvalidTokenError("malformed tenant or token version")
    if isinstance(tenant_id, bool) or isinstance(version, bool):
        raise InvalidTokenError("malformed tenant or token version")
    try:
        role = Role(str(claims.get("role")))
    except ValueError as error:
        raise InvalidTokenError("unknown role") from error
    token_id = claims.get("jti")
    return AccessClaims(
        user_id=int(subject),
        tenant_id=tenant_id,
        role=role,
        token_version=version,
        token_id=token_id if isinstance(token_id, str) else "",
    )
