"""API keys: create (shown once), list, revoke, and authenticate a presented key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.context import AuthContext, invalid_credentials
from vantage.core.auth.credential_cache import LAST_USED_RESOLUTION, CredentialCache, KeyRow
from vantage.core.auth.models import ApiKey
from vantage.core.auth.principal import Principal, Scope
from vantage.core.auth.repository import api_keys as api_key_rows
from vantage.core.auth.service.api_key_format import (
    encode_scopes,
    key_is_live,
    mint_api_key,
    parse_api_key,
    secret_matches,
)
from vantage.core.db import after_commit, utcnow
from vantage.core.errors import NotFound, ValidationFailed

PREFIX_ATTEMPTS = 5


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str


async def create_api_key(
    session: AsyncSession,
    *,
    tenant_id: int,
    name: str,
    scopes: Iterable[Scope],
    expires_at: datetime | None,
    created_by_id: int | None,
    now: datetime,
) -> CreatedKey:
    """A new key of the tenant; the full key text exists only in the return value."""
    granted = encode_scopes(scopes)
    if not granted:
        raise ValidationFailed.field(("body", "scopes"), "grant at least one scope")
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed.field(("body", "expires_at"), "must be in the future")
    minted = mint_api_key()
    for _ in range(PREFIX_ATTEMPTS):
        if not await api_key_rows.prefix_taken(session, minted.prefix):
            break
        minted = mint_api_key()
    row = await api_key_rows.add_api_key(
        session,
        ApiKey(
            tenant_id=tenant_id,
            name=name,
            prefix=minted.prefix,
            secret_hash=minted.secret_hash,
            scopes=granted,
            expires_at=expires_at.astimezone(UTC) if expires_at else None,
            created_by_id=created_by_id,
        ),
    )
    return CreatedKey(row=row, key=minted.key)


async def list_api_keys(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    """One page of the tenant's keys (newest first) and the tenant's key count."""
    keys = await api_key_rows.api_keys_of_tenant(session, tenant_id, limit=limit, offset=offset)
    return keys, await api_key_rows.count_api_keys(session, tenant_id)


async def get_api_key(session: AsyncSession, tenant_id: int, key_id: int) -> ApiKey:
    """The tenant's key; ``NotFound`` for unknown ids and other tenants' keys alike."""
    key = await api_key_rows.api_key_in_tenant(session, tenant_id, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist")
    return key


async def revoke_api_key(
    session: AsyncSession,
    credentials: CredentialCache | None,
    tenant_id: int,
    key_id: int,
    now: datetime,
) -> ApiKey:
    """Revoke the tenant's key (revoking twice is harmless); refused by this process once
    committed, by others when their copy of the key expires (``credentials``: this process's
    copies, None where it keeps none)."""
    key = await get_api_key(session, tenant_id, key_id)
    await api_key_rows.revoke_api_key(session, key.id, now)
    if credentials is not None:
        after_commit(session, partial(credentials.forget_key, key.prefix))
    return key


async def authenticate_api_key(auth: AuthContext, credential: str) -> Principal:
    """The principal of a live key; the one generic 401 for anything else."""
    presented = parse_api_key(credential)
    if presented is None:
        raise invalid_credentials()
    now = utcnow()
    copies = auth.credentials.keys
    key = await copies.get_or_read(presented.prefix, partial(_read_key, auth, presented.prefix))
    if key is None or not secret_matches(presented.secret, key.secret_hash):
        raise invalid_credentials()
    if not key_is_live(key.revoked_at, key.expires_at, now):
        raise invalid_credentials()
    stale_before = now - LAST_USED_RESOLUTION
    recent = auth.credentials.recent_uses
    if key.id not in recent and (key.last_used_at is None or key.last_used_at < stale_before):
        # Noted before the write, so the requests of the next minute neither write nor wait.
        recent[key.id] = now
        await _record_use(auth, key.id, now, stale_before)
    return Principal(kind="api_key", subject_id=key.id, tenant_id=key.tenant_id, scopes=key.scopes)


async def _read_key(auth: AuthContext, prefix: str) -> KeyRow | None:
    async with auth.primary_reader() as session:
        row = await api_key_rows.api_key_by_prefix(session, prefix)
    return KeyRow.of(row) if row is not None else None


async def _record_use(
    auth: AuthContext, key_id: int, now: datetime, stale_before: datetime
) -> None:
    """Write ``last_used_at`` unless another worker wrote a use since ``stale_before``."""
    async with auth.database.transaction() as session:
        await api_key_rows.touch_api_key(session, key_id, now, stale_before)
