"""Credential copies: no database read per request, yet revocations are honoured.

Changes made through the API take effect at once on the worker that made them; changes made
behind its back (another worker, the CLI, here a direct UPDATE) within ``auth_cache_seconds``.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from tests.conftest import ClientFactory
from tests.support.auth import (
    api_key_headers,
    app_of,
    bare_client,
    create_api_key,
    create_user,
    headers_for,
    sign_in_as,
)
from tests.support.statements import StatementCounter
from vantage.core.auth.credential_cache import CredentialCache, UserRow
from vantage.core.auth.models import ApiKey, Role, User
from vantage.core.auth.principal import Scope
from vantage.core.db import utcnow

PROTECTED = "/api/v1/packs"


async def _revoke_behind_the_back(client: httpx.AsyncClient, key: str) -> None:
    prefix = key.split("_")[1]
    async with app_of(client).state.database.transaction() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.prefix == prefix).values(revoked_at=utcnow())
        )


async def test_a_busy_key_costs_no_database_read_per_request(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        headers = api_key_headers(await create_api_key(app_of(client), [Scope.READ]))
        assert (await client.get(PROTECTED, headers=headers)).status_code == 200
        with StatementCounter(app_of(client)) as counter:
            for _ in range(20):
                assert (await client.get(PROTECTED, headers=headers)).status_code == 200
        assert counter.count == 0


async def test_a_wrong_secret_is_refused_even_when_the_key_is_cached(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        key = await create_api_key(app_of(client), [Scope.READ])
        assert (await client.get(PROTECTED, headers=api_key_headers(key))).status_code == 200
        forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        response = await client.get(PROTECTED, headers=api_key_headers(forged))
        assert response.status_code == 401


async def test_revoking_through_the_api_is_refused_at_once(
    client_for: ClientFactory, database_url: str
) -> None:
    async with client_for(database_url, auth_cache_seconds=300) as admin:
        await sign_in_as(admin)
        created = (
            await admin.post("/api/v1/admin/api-keys", json={"name": "n", "scopes": ["read"]})
        ).json()
        headers = api_key_headers(created["key"])
        async with bare_client(app_of(admin)) as caller:
            assert (await caller.get(PROTECTED, headers=headers)).status_code == 200
            revoked = await admin.delete(f"/api/v1/admin/api-keys/{created['id']}")
            assert revoked.status_code == 204
            assert (await caller.get(PROTECTED, headers=headers)).status_code == 401


async def test_a_change_made_elsewhere_shows_within_the_cache_lifetime(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, auth_cache_seconds=0.3) as client:
        key = await create_api_key(app_of(client), [Scope.READ])
        assert (await client.get(PROTECTED, headers=api_key_headers(key))).status_code == 200
        await _revoke_behind_the_back(client, key)
        await asyncio.sleep(0.4)
        assert (await client.get(PROTECTED, headers=api_key_headers(key))).status_code == 401


async def test_no_cache_reads_every_request(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(sqlite_url, auth_cache_seconds=0) as client:
        key = await create_api_key(app_of(client), [Scope.READ])
        assert (await client.get(PROTECTED, headers=api_key_headers(key))).status_code == 200
        await _revoke_behind_the_back(client, key)
        assert (await client.get(PROTECTED, headers=api_key_headers(key))).status_code == 401


async def test_disabling_or_demoting_a_user_is_refused_at_once(
    client_for: ClientFactory, database_url: str
) -> None:
    async with client_for(database_url, auth_cache_seconds=300) as admin:
        await sign_in_as(admin)
        app = app_of(admin)
        for change in ({"role": "viewer"}, {"active": False}):
            user = await create_user(app, Role.ANALYST)
            headers = headers_for(app, user)
            async with bare_client(app) as caller:
                assert (await caller.get("/api/v1/auth/me", headers=headers)).status_code == 200
                patched = await admin.patch(f"/api/v1/admin/users/{user.id}", json=change)
                assert patched.status_code == 200, patched.text
                refused = await caller.get("/api/v1/auth/me", headers=headers)
                assert refused.status_code == 401, change


async def test_a_user_row_changed_elsewhere_shows_within_the_cache_lifetime(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, auth_cache_seconds=0.3) as client:
        app = app_of(client)
        user = await create_user(app, Role.ANALYST)
        headers = headers_for(app, user)
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
        async with app.state.database.transaction() as session:
            await session.execute(update(User).where(User.id == user.id).values(active=False))
        await asyncio.sleep(0.4)
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


def test_a_read_that_started_before_a_forget_does_not_put_the_copy_back() -> None:
    cache = CredentialCache(ttl_seconds=60)
    row = UserRow(id=7, tenant_id=1, active=True, token_version=1, role="viewer", email="a@b.co")
    generation = cache.users.generation
    cache.users.forget(7)  # a change committed while the read was in flight
    cache.users.remember(7, row, generation)
    assert cache.users.get(7) is None
    cache.users.remember(7, row, cache.users.generation)
    assert cache.users.get(7) == row
