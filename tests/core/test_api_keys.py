from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from tests.support.auth import (
    api_key_headers,
    app_of,
    bare_client,
    bearer,
    create_api_key,
    create_tenant,
)
from vantage.core.auth.models import ApiKey
from vantage.core.auth.principal import Scope
from vantage.core.auth.service.tokens import sha256_hex
from vantage.core.db import Database, utcnow

KEY_FORMAT = re.compile(r"^vk_[a-z0-9]{8}_[A-Za-z0-9_-]{32,}$")


async def _key_row(client: httpx.AsyncClient, key_id: int) -> ApiKey:
    database: Database = app_of(client).state.database
    async with database.reader() as session:
        row = await session.get(ApiKey, key_id)
    assert row is not None
    return row


async def test_admin_creates_lists_and_revokes_keys(admin_client: httpx.AsyncClient) -> None:
    created = await admin_client.post(
        "/api/v1/admin/api-keys", json={"name": "ci", "scopes": ["ingest", "read", "read"]}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert KEY_FORMAT.match(key)
    assert body["prefix"] == key.split("_")[1]
    assert body["scopes"] == ["ingest", "read"]
    assert body["created_by_id"] is not None

    listed = (await admin_client.get("/api/v1/admin/api-keys")).json()
    assert [item["id"] for item in listed["data"]] == [body["id"]]
    assert "key" not in listed["data"][0]
    assert key not in (await admin_client.get(f"/api/v1/admin/api-keys/{body['id']}")).text

    row = await _key_row(admin_client, body["id"])
    secret = key.split("_", 2)[2]
    assert row.secret_hash == sha256_hex(secret)
    assert all(secret not in str(value) for value in vars(row).values())

    async with bare_client(app_of(admin_client)) as caller:
        assert (await caller.get("/api/v1/packs", headers=api_key_headers(key))).is_success
        revoked = await admin_client.delete(f"/api/v1/admin/api-keys/{body['id']}")
        assert revoked.status_code == 204
        after = await caller.get("/api/v1/packs", headers=api_key_headers(key))
        assert after.status_code == 401
    assert (await admin_client.delete(f"/api/v1/admin/api-keys/{body['id']}")).status_code == 204


async def test_key_requests_are_validated(sqlite_admin_client: httpx.AsyncClient) -> None:
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    for body, field in [
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["superuser"]}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "expires_at": past}, "expires_at"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ]:
        response = await sqlite_admin_client.post("/api/v1/admin/api-keys", json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"][:2] == ["body", field], response.json()


async def test_scopes_of_a_key_are_enforced(client: httpx.AsyncClient) -> None:
    app = app_of(client)
    reader = api_key_headers(await create_api_key(app, [Scope.READ]))
    ingester = api_key_headers(await create_api_key(app, [Scope.INGEST]))
    admin = api_key_headers(await create_api_key(app, [Scope.ADMIN]))

    assert (await client.get("/api/v1/packs", headers=reader)).status_code == 200
    denied = await client.post("/api/v1/testpack/tenants?slug=k1", headers=reader)
    assert denied.status_code == 403
    assert denied.json()["code"] == "FORBIDDEN"
    assert "ingest" in denied.json()["detail"]
    assert (await client.get("/api/v1/admin/users", headers=reader)).status_code == 403

    assert (
        await client.post("/api/v1/testpack/tenants?slug=k2", headers=ingester)
    ).status_code == 201
    assert (await client.get("/api/v1/packs", headers=ingester)).status_code == 403

    assert (await client.get("/api/v1/admin/users", headers=admin)).status_code == 200
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()
    assert me["kind"] == "api_key" and me["scopes"] == ["admin"] and me["email"] is None


async def test_expired_revoked_and_malformed_keys_are_401(client: httpx.AsyncClient) -> None:
    app = app_of(client)
    expired = await create_api_key(app, [Scope.READ])
    revoked = await create_api_key(app, [Scope.READ])
    async with app.state.database.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.prefix == expired.split("_")[1])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.execute(
            update(ApiKey).where(ApiKey.prefix == revoked.split("_")[1]).values(revoked_at=utcnow())
        )
    live = await create_api_key(app, [Scope.READ])
    prefix, secret = live.split("_")[1], live.split("_", 2)[2]
    wrong_secret = f"vk_{prefix}_{'A' * len(secret)}"
    for label, key in {
        "expired": expired,
        "revoked": revoked,
        "wrong secret": wrong_secret,
        "unknown prefix": f"vk_zzzzzzzz_{secret}",
        "truncated": live[:-10],
        "no secret": f"vk_{prefix}_",
    }.items():
        response = await client.get("/api/v1/packs", headers=api_key_headers(key))
        assert response.status_code == 401, label
        assert response.json()["code"] == "UNAUTHORIZED"
    assert (await client.get("/api/v1/packs", headers=api_key_headers(live))).status_code == 200
    # The bearer scheme carries keys too (the WebSocket sends either kind in one field).
    assert (await client.get("/api/v1/packs", headers=bearer(live))).status_code == 200


async def test_last_used_is_written_at_most_once_a_minute(
    sqlite_admin_client: httpx.AsyncClient,
) -> None:
    client = sqlite_admin_client
    created = (
        await client.post("/api/v1/admin/api-keys", json={"name": "n", "scopes": ["read"]})
    ).json()
    assert created["last_used_at"] is None
    async with bare_client(app_of(client)) as caller:
        headers = api_key_headers(created["key"])
        await caller.get("/api/v1/packs", headers=headers)
        first = (await _key_row(client, created["id"])).last_used_at
        assert first is not None
        await caller.get("/api/v1/packs", headers=headers)
        assert (await _key_row(client, created["id"])).last_used_at == first

        a_while_ago = first - timedelta(minutes=2)
        async with app_of(client).state.database.transaction() as session:
            await session.execute(
                update(ApiKey).where(ApiKey.id == created["id"]).values(last_used_at=a_while_ago)
            )
        # A minute later, as far as this worker knows: its copy and its note of the use expired.
        credentials = app_of(client).state.auth.credentials
        credentials.keys.forget(created["prefix"])
        credentials.recent_uses.clear()
        await caller.get("/api/v1/packs", headers=headers)
    latest = (await _key_row(client, created["id"])).last_used_at
    assert latest is not None and latest >= first


async def test_keys_belong_to_one_tenant(sqlite_admin_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_admin_client)
    other = await create_tenant(app)
    foreign = await create_api_key(app, [Scope.ADMIN], tenant_id=other.id)
    assert (await sqlite_admin_client.get("/api/v1/admin/api-keys")).json()["data"] == []
    async with app.state.database.reader() as session:
        foreign_row = await session.scalar(select(ApiKey))
    assert foreign_row is not None
    missing = await sqlite_admin_client.get(f"/api/v1/admin/api-keys/{foreign_row.id}")
    assert missing.status_code == 404
    async with bare_client(app) as caller:
        listed = await caller.get("/api/v1/admin/api-keys", headers=api_key_headers(foreign))
    assert [item["id"] for item in listed.json()["data"]] == [foreign_row.id]


async def test_expiry_is_returned_in_utc(sqlite_admin_client: httpx.AsyncClient) -> None:
    created = await sqlite_admin_client.post(
        "/api/v1/admin/api-keys",
        json={"name": "expiring", "scopes": ["read"], "expires_at": "2999-01-01T02:00:00+02:00"},
    )
    assert created.status_code == 201
    assert created.json()["expires_at"] == "2999-01-01T00:00:00Z"
