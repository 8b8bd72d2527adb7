"""Short-lived copies of the rows that credentials are checked against.

Without them every request of a busy client costs a database read before any work starts.
A copy lives at most ``auth_cache_seconds``. A change made through this process (a revoked
key, a disabled user, a new role or password) drops the copy as soon as it commits; a change
made elsewhere (another worker, the CLI) takes effect within that lifetime. Every check that
depends on the clock (expiry, token lifetime) still runs on each request against the copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache

from vantage.core.auth.models import ApiKey, User
from vantage.core.auth.principal import Scope
from vantage.core.auth.service.api_key_format import decode_scopes
from vantage.core.copies import DEFAULT_MAX_ENTRIES, SharedReadCopies

# ``last_used_at`` of an API key is written at most this often: a busy key must not turn its
# reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyRow:
    """What authenticating an API key reads of its row."""

    id: int
    tenant_id: int
    prefix: str
    secret_hash: str
    scopes: frozenset[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyRow:
        return cls(
            id=key.id,
            tenant_id=key.tenant_id,
            prefix=key.prefix,
            secret_hash=key.secret_hash,
            scopes=decode_scopes(key.scopes),
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


@dataclass(frozen=True)
class UserRow:
    """What authenticating an access token reads of the user's row."""

    id: int
    tenant_id: int
    active: bool
    token_version: int
    role: str
    email: str

    @classmethod
    def of(cls, user: User) -> UserRow:
        return cls(
            id=user.id,
            tenant_id=user.tenant_id,
            active=user.active,
            token_version=user.token_version,
            role=user.role,
            email=user.email,
        )


class CredentialCache:
    """Copies of API key rows (by prefix) and user rows (by id) of one application."""

    def __init__(self, ttl_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.keys: SharedReadCopies[str, KeyRow] = SharedReadCopies(ttl_seconds, max_entries)
        self.users: SharedReadCopies[int, UserRow] = SharedReadCopies(ttl_seconds, max_entries)
        # Keys whose use this process recorded within the resolution (id -> when).
        self.recent_uses: TTLCache[int, datetime] = TTLCache(
            max_entries, LAST_USED_RESOLUTION.total_seconds()
        )

    async def aclose(self) -> None:
        """Stop the background re-reads (before the database closes)."""
        await self.keys.aclose()
        await self.users.aclose()

    async def forget_key(self, prefix: str) -> None:
        """Drop a key's copy (an after-commit callback, hence async)."""
        self.keys.forget(prefix)

    async def forget_user(self, user_id: int) -> None:
        """Drop a user's copy (an after-commit callback, hence async)."""
        self.users.forget(user_id)
