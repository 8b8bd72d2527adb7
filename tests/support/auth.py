"""Test identities: users of any role in any tenant, their headers, API keys, more tenants.

Users share one password whose argon2id hash is computed once per test session (hashing costs
tens of milliseconds, on purpose); headers carry access tokens minted directly by the app's
signer, so tests do not go through (or count against) the sign-in throttle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import httpx
from fastapi import FastAPI

from vantage.core.auth.models import Role, Tenant, User
from vantage.core.auth.principal import Scope
from vantage.core.auth.repository import api_keys as api_key_rows
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.auth.service.tokens import AccessTokens
from vantage.core.db import Database, utcnow

DEFAULT_TENANT_ID = 1
TEST_PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}


def app_of(client: httpx.AsyncClient) -> FastAPI:
    """The application behind a client made by the ``client_for`` fixture."""
    return client.app  # type: ignore[attr-defined,no-any-return]


async def shared_password_hash(app: FastAPI) -> str:
    """The argon2id hash of ``TEST_PASSWORD`` (computed once per session, same parameters)."""
    if TEST_PASSWORD not in _hash_cache:
        _hash_cache[TEST_PASSWORD] = await app.state.password_hasher.hash(TEST_PASSWORD)
    return _hash_cache[TEST_PASSWORD]


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


async def create_tenant(app: FastAPI, slug: str | None = None) -> Tenant:
    """Another tenant besides the default one."""
    slug = slug or f"tenant-{uuid.uuid4().hex[:10]}"
    database: Database = app.state.database
    async with database.transaction() as session:
        return await tenant_rows.add_tenant(session, Tenant(slug=slug, name=slug.title()))


async def create_user(
    app: FastAPI,
    role: Role = Role.VIEWER,
    *,
    tenant_id: int = DEFAULT_TENANT_ID,
    email: str | None = None,
    active: bool = True,
) -> User:
    """An active user of ``tenant_id`` whose password is ``TEST_PASSWORD``."""
    database: Database = app.state.database
    async with database.transaction() as session:
        return await user_rows.add_user(
            session,
            User(
                tenant_id=tenant_id,
                email=(email or unique_email(role.value)).lower(),
                password_hash=await shared_password_hash(app),
                role=role.value,
                active=active,
                token_version=1,
            ),
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def access_token_for(app: FastAPI, user: User) -> str:
    """A genuine access token for ``user`` as it is now (role and token version)."""
    return AccessTokens(app.state.settings).issue(
        user_id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        token_version=user.token_version,
        now=utcnow(),
    )


def headers_for(app: FastAPI, user: User) -> dict[str, str]:
    return bearer(access_token_for(app, user))


async def user_headers(
    app: FastAPI, role: Role = Role.VIEWER, *, tenant_id: int = DEFAULT_TENANT_ID
) -> dict[str, str]:
    """Headers of a new user with ``role`` in ``tenant_id``."""
    return headers_for(app, await create_user(app, role, tenant_id=tenant_id))


async def sign_in_as(
    client: httpx.AsyncClient, role: Role = Role.ADMIN, *, tenant_id: int = DEFAULT_TENANT_ID
) -> User:
    """Make every later request of ``client`` act as a new user with ``role``."""
    user = await create_user(app_of(client), role, tenant_id=tenant_id)
    client.headers.update(headers_for(app_of(client), user))
    return user


async def create_api_key(
    app: FastAPI,
    scopes: Iterable[Scope],
    *,
    tenant_id: int = DEFAULT_TENANT_ID,
    expires_at: datetime | None = None,
    name: str = "test key",
) -> str:
    """The full text of a new API key of ``tenant_id`` with ``scopes``."""
    database: Database = app.state.database
    async with database.transaction() as session:
        created = await api_key_service.create_api_key(
            session,
            tenant_id=tenant_id,
            name=name,
            scopes=scopes,
            expires_at=expires_at,
            created_by_id=None,
            now=utcnow(),
        )
    return created.key


def api_key_headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def bare_client(app: FastAPI, client_ip: str = "127.0.0.1") -> httpx.AsyncClient:
    """Another client of a running ``app`` without credentials, from ``client_ip``."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(client_ip, 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def api_key_id(app: FastAPI, key: str) -> int:
    """The id of the stored row of a key made by ``create_api_key``."""
    database: Database = app.state.database
    async with database.reader() as session:
        row = await api_key_rows.api_key_by_prefix(session, key.split("_")[1])
    assert row is not None
    return row.id
