from __future__ import annotations

import httpx
import pytest

from tests.support.auth import (
    TEST_PASSWORD,
    app_of,
    bare_client,
    create_tenant,
    create_user,
    headers_for,
)
from vantage.core.auth.models import Role, User
from vantage.core.db import Database

NEW_PASSWORD = "a long enough password"


async def _user_row(client: httpx.AsyncClient, user_id: int) -> User:
    database: Database = app_of(client).state.database
    async with database.reader() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def test_admin_creates_and_reads_users(admin_client: httpx.AsyncClient) -> None:
    created = await admin_client.post(
        "/api/v1/admin/users",
        json={"email": " New.Person@Example.com ", "password": NEW_PASSWORD, "role": "analyst"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "new.person@example.com"
    assert body["role"] == "analyst" and body["active"] is True
    assert body["created_at"].endswith("Z")
    assert "password" not in created.text and "hash" not in created.text

    fetched = await admin_client.get(f"/api/v1/admin/users/{body['id']}")
    assert fetched.json() == body
    listed = (await admin_client.get("/api/v1/admin/users?limit=1")).json()
    assert listed["pagination"]["total"] == 2  # the signed-in admin and the new user
    assert len(listed["data"]) == 1

    row = await _user_row(admin_client, body["id"])
    assert row.password_hash.startswith("$argon2id$")
    async with bare_client(app_of(admin_client)) as caller:
        login = {"email": "new.person@example.com", "password": NEW_PASSWORD}
        assert (await caller.post("/api/v1/auth/token", json=login)).status_code == 200

    duplicate = await admin_client.post(
        "/api/v1/admin/users", json={"email": "NEW.person@example.com", "password": NEW_PASSWORD}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "CONFLICT"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": NEW_PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "x" * 2000}, "password"),
        ({"email": "a@example.com", "password": NEW_PASSWORD, "role": "owner"}, "role"),
    ],
)
async def test_invalid_users_are_refused(
    sqlite_admin_client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await sqlite_admin_client.post("/api/v1/admin/users", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["body", field]


async def test_users_of_other_tenants_are_invisible(admin_client: httpx.AsyncClient) -> None:
    app = app_of(admin_client)
    other = await create_tenant(app)
    stranger = await create_user(app, Role.VIEWER, tenant_id=other.id)
    emails = [u["email"] for u in (await admin_client.get("/api/v1/admin/users")).json()["data"]]
    assert stranger.email not in emails
    for method in ("GET", "PATCH", "DELETE"):
        response = await admin_client.request(
            method, f"/api/v1/admin/users/{stranger.id}", json={"role": "admin"}
        )
        assert response.status_code == 404, method
    row = await _user_row(admin_client, stranger.id)
    assert row.role == "viewer" and row.active and row.token_version == 1


async def test_delete_disables_the_user_and_patch_restores(
    admin_client: httpx.AsyncClient,
) -> None:
    app = app_of(admin_client)
    user = await create_user(app, Role.ANALYST)
    token_headers = headers_for(app, user)
    async with bare_client(app) as caller:
        login = {"email": user.email, "password": TEST_PASSWORD}
        refresh = (await caller.post("/api/v1/auth/token", json=login)).json()["refresh_token"]
        assert (await admin_client.delete(f"/api/v1/admin/users/{user.id}")).status_code == 204

        assert (await caller.get("/api/v1/auth/me", headers=token_headers)).status_code == 401
        assert (await caller.post("/api/v1/auth/token", json=login)).status_code == 401
        refreshed = await caller.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert refreshed.status_code == 401
        kept = await admin_client.get(f"/api/v1/admin/users/{user.id}")
        assert kept.json()["active"] is False

        restored = await admin_client.patch(f"/api/v1/admin/users/{user.id}", json={"active": True})
        assert restored.json()["active"] is True
        assert (await caller.post("/api/v1/auth/token", json=login)).status_code == 200


async def test_a_tenant_keeps_one_active_admin(client: httpx.AsyncClient) -> None:
    app = app_of(client)
    tenant = await create_tenant(app)
    admin = await create_user(app, Role.ADMIN, tenant_id=tenant.id)
    client.headers.update(headers_for(app, admin))
    demote = await client.patch(f"/api/v1/admin/users/{admin.id}", json={"role": "viewer"})
    assert demote.status_code == 409
    assert (await client.delete(f"/api/v1/admin/users/{admin.id}")).status_code == 409
    assert (await _user_row(client, admin.id)).role == "admin"

    second = await create_user(app, Role.ADMIN, tenant_id=tenant.id)
    assert (await client.delete(f"/api/v1/admin/users/{second.id}")).status_code == 204


async def test_a_noop_patch_keeps_tokens_valid(sqlite_admin_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_admin_client)
    user = await create_user(app, Role.VIEWER)
    same = await sqlite_admin_client.patch(
        f"/api/v1/admin/users/{user.id}", json={"role": "viewer", "active": True}
    )
    assert same.status_code == 200
    assert (await _user_row(sqlite_admin_client, user.id)).token_version == 1
    async with bare_client(app) as caller:
        me = await caller.get("/api/v1/auth/me", headers=headers_for(app, user))
    assert me.status_code == 200
