"""Who a usage row belongs to, without storing who it is: HMAC-SHA256 of the e-mail."""

from __future__ import annotations

import hashlib
import hmac

from vantage.core.auth.models import Role
from vantage.core.auth.principal import Principal, Scope

USER_HASH_CONTEXT = b"vantage.gateway.user-hash"


def derive_user_hash_key(explicit: str | None, server_secret: str) -> bytes:
    """The configured key, else one derived from the server secret (stable per deployment)."""
    if explicit:
        return explicit.encode()
    return hmac.new(server_secret.encode(), USER_HASH_CONTEXT, hashlib.sha256).digest()


class UserHasher:
    """Keyed hashes: the same person always maps to the same value, which reveals nothing."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, identifier: str) -> str:
        normalized = identifier.strip().lower()
        return hmac.new(self._key, normalized.encode(), hashlib.sha256).hexdigest()

    def for_principal(self, principal: Principal, end_user: str | None) -> str | None:
        """The user's hash; for API keys, the hash of the end user the caller names, if any."""
        if principal.kind == "user" and principal.email:
            return self.of(principal.email)
        if end_user:
            return self.of(end_user)
        return None


def effective_role(principal: Principal) -> Role:
    """The role a principal acts with (API keys: the strongest role their scopes cover)."""
    if principal.role is not None:
        return principal.role
    if principal.has(Scope.ADMIN):
        return Role.ADMIN
    if principal.has(Scope.ANALYZE):
        return Role.ANALYST
    return Role.VIEWER
