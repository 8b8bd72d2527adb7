from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from tests.conftest import ClientFactory
from tests.support.auth import (
    TEST_PASSWORD,
    access_token_for,
    app_of,
    bearer,
    create_tenant,
    create_user,
    user_headers,
)
from vantage.core.auth.models import RefreshToken, Role, User
from vantage.core.auth.service.tokens import AccessTokens, sha256_hex
from vantage.core.db import utcnow

PROBLEM = "application/problem+json"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _hs256_by_hand(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    signing_input = _unsigned(header, claims)
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def _sign_in(client: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", json={"email": email, "password": TEST_PASSWORD, **extra}
    )


async def _tokens(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await _sign_in(client, email)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _assert_401(response: httpx.Response, label: str = "") -> None:
    assert response.status_code == 401, f"{label}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM, label
    assert response.json()["code"] == "UNAUTHORIZED", label
    assert response.headers["www-authenticate"].startswith("Bearer"), label


async def test_sign_in_with_json_gives_a_working_pair(client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(client), Role.ANALYST)
    body = await _tokens(client, user.email.upper())
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert len(body["refresh_token"]) >= 43  # 256 bits, base64url
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "kind": "user",
        "id": user.id,
        "tenant_id": 1,
        "email": user.email,
        "role": "analyst",
        "scopes": ["analyze", "read"],
    }
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"iss", "aud", "exp", "iat", "nbf", "typ", "sub", "tid", "role", "tv", "jti"} <= set(
        claims
    )
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


async def test_refresh_token_is_stored_only_as_its_hash(client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(client))
    refresh = (await _tokens(client, user.email))["refresh_token"]
    async with app_of(client).state.database.reader() as session:
        rows = (await session.scalars(select(RefreshToken))).all()
    assert [row.token_hash for row in rows] == [sha256_hex(refresh)]
    assert all(refresh not in str(vars(row)) for row in rows)


async def test_sign_in_with_the_oauth2_password_form(sqlite_client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(sqlite_client))
    form = {"grant_type": "password", "username": user.email, "password": TEST_PASSWORD}
    response = await sqlite_client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    wrong_grant = await sqlite_client.post(
        "/api/v1/auth/token", data={**form, "grant_type": "client_credentials"}
    )
    assert wrong_grant.status_code == 422
    assert wrong_grant.json()["errors"][0]["loc"] == ["body", "grant_type"]


async def test_sign_in_into_another_tenant_needs_its_slug(sqlite_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_client)
    tenant = await create_tenant(app)
    user = await create_user(app, tenant_id=tenant.id)
    _assert_401(await _sign_in(sqlite_client, user.email))
    response = await _sign_in(sqlite_client, user.email, tenant=tenant.slug)
    me = await sqlite_client.get("/api/v1/auth/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["tenant_id"] == tenant.id


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"email": "a@example.com"}', "application/json", 422),
        (b"{not json", "application/json", 422),
        (b"password=x", "application/x-www-form-urlencoded", 422),
        (b"<xml/>", "application/xml", 415),
    ],
)
async def test_malformed_sign_in_requests_are_problems(
    sqlite_client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    response = await sqlite_client.post(
        "/api/v1/auth/token", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM


async def test_every_failed_sign_in_is_the_same_401(sqlite_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_client)
    user = await create_user(app)
    disabled = await create_user(app, active=False)
    attempts = {
        "unknown email": {"email": "nobody@example.com", "password": TEST_PASSWORD},
        "wrong password": {"email": user.email, "password": "wrong password"},
        "disabled user": {"email": disabled.email, "password": TEST_PASSWORD},
        "unknown tenant": {"email": user.email, "password": TEST_PASSWORD, "tenant": "nope"},
    }
    details = set()
    for label, body in attempts.items():
        response = await sqlite_client.post("/api/v1/auth/token", json=body)
        _assert_401(response, label)
        details.add(response.json()["detail"])
    assert details == {"Incorrect email or password."}


def _forgeries(app: Any, user: User) -> dict[str, str]:
    settings = app.state.settings
    secret = settings.secret_key.encode()
    kid = AccessTokens(settings).key_id
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "typ": "access",
        "sub": str(user.id),
        "tid": user.tenant_id,
        "role": user.role,
        "tv": user.token_version,
        "jti": "forged",
    }
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    valid = _hs256_by_hand(header, claims, secret)

    def hs(changes: dict[str, Any], *, drop: str | None = None, **head: Any) -> str:
        body = {**claims, **changes}
        if drop:
            body.pop(drop)
        return _hs256_by_hand({**header, **head}, body, secret)

    past = int((now - timedelta(hours=1)).timestamp())
    future = int((now + timedelta(hours=1)).timestamp())
    return {
        "alg none": _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims) + ".",
        "alg none, real signature": _unsigned({**header, "alg": "none"}, claims)
        + "."
        + valid.rsplit(".", 1)[1],
        "RS256 with a key pair": jwt.encode(
            claims, private_key, algorithm="RS256", headers={"kid": kid}
        ),
        "HS256 keyed with the public key": _hs256_by_hand(header, claims, public_pem),
        "expired": hs({"exp": past, "iat": past - 60, "nbf": past - 60}),
        "not yet valid": hs({"nbf": future}),
        "wrong audience": hs({"aud": "someone-else"}),
        "wrong issuer": hs({"iss": "evil"}),
        "no exp": hs({}, drop="exp"),
        "no sub": hs({}, drop="sub"),
        "refresh type": hs({"typ": "refresh"}),
        "other tenant": hs({"tid": user.tenant_id + 1}),
        "tampered signature": valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
        "tampered claims": _unsigned(header, {**claims, "role": "admin"})
        + "."
        + valid.rsplit(".", 1)[1],
        "unknown kid": hs({}, kid="hs256-0000000000000000"),
        "traversal kid": hs({}, kid="../../etc/passwd"),
        "no kid": _hs256_by_hand({"alg": "HS256", "typ": "JWT"}, claims, secret),
        "not a jwt": "definitely-not-a-token",
    }


async def test_forged_and_invalid_access_tokens_are_401(client: httpx.AsyncClient) -> None:
    app = app_of(client)
    user = await create_user(app, Role.VIEWER)
    forged = _forgeries(app, user)
    # The control: the same construction with nothing wrong is accepted.
    control = await client.get("/api/v1/auth/me", headers=bearer(access_token_for(app, user)))
    assert control.status_code == 200
    for label, token in forged.items():
        _assert_401(await client.get("/api/v1/auth/me", headers=bearer(token)), label)
    refresh = (await _tokens(client, user.email))["refresh_token"]
    _assert_401(await client.get("/api/v1/auth/me", headers=bearer(refresh)), "refresh as access")


async def test_credentials_in_the_wrong_shape_are_401(sqlite_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_client)
    token = access_token_for(app, await create_user(app))
    missing = await sqlite_client.get("/api/v1/auth/me")
    _assert_401(missing, "missing")
    assert "invalid_token" not in missing.headers["www-authenticate"]
    for label, headers in {
        "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        "empty bearer": {"Authorization": "Bearer "},
        "both headers": {**bearer(token), "X-API-Key": "vk_abcdefgh_x"},
        "oversized": bearer("a" * 5000),
    }.items():
        response = await sqlite_client.get("/api/v1/auth/me", headers=headers)
        _assert_401(response, label)
        assert "invalid_token" in response.headers["www-authenticate"], label


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(client))
    first = await _tokens(client, user.email)
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200

    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    _assert_401(reuse, "reuse of a spent token")
    # The thief's replay revoked the legitimate holder's newer token too.
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    _assert_401(after, "token of a revoked family")

    async with app_of(client).state.database.reader() as session:
        rows = (await session.scalars(select(RefreshToken).order_by(RefreshToken.id))).all()
    assert len(rows) == 2 and len({row.family_id for row in rows}) == 1
    assert rows[0].replaced_by_id == rows[1].id
    assert all(row.revoked_at is not None for row in rows)
    # Another sign-in starts a new family, unaffected.
    assert (await _sign_in(client, user.email)).status_code == 200


async def test_concurrent_refreshes_with_one_token_let_at_most_one_win(
    client_for: ClientFactory, database_url: str
) -> None:
    # Two applications with their own connection pools stand in for two server processes.
    async with client_for(database_url) as one, client_for(database_url) as two:
        user = await create_user(app_of(one))
        refresh = (await _tokens(one, user.email))["refresh_token"]
        responses = await asyncio.gather(
            *(
                http.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
                for http in (one, two) * 5
            )
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) <= 1, statuses
    assert set(statuses) <= {200, 401}, statuses


async def test_logout_revokes_the_family(client: httpx.AsyncClient) -> None:
    user = await create_user(app_of(client))
    first = await _tokens(client, user.email)
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    other_session = await _tokens(client, user.email)
    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}
    )
    assert logout.status_code == 204
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    _assert_401(again, "after logout")
    # Only that sign-in's family ends; another device stays signed in.
    kept = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
    )
    assert kept.status_code == 200
    unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


async def test_expired_refresh_token_is_401(sqlite_client: httpx.AsyncClient) -> None:
    app = app_of(sqlite_client)
    user = await create_user(app)
    refresh = (await _tokens(sqlite_client, user.email))["refresh_token"]
    async with app.state.database.transaction() as session:
        row = await session.scalar(select(RefreshToken))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    response = await sqlite_client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    _assert_401(response, "expired refresh token")


@pytest.mark.parametrize("change", [{"role": "analyst"}, {"password": "a brand new password"}])
async def test_role_or_password_change_ends_older_access_tokens(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    app = app_of(client)
    user = await create_user(app, Role.VIEWER)
    old = await _tokens(client, user.email)
    assert (await client.get("/api/v1/auth/me", headers=bearer(old["access_token"]))).is_success
    admin = await user_headers(app, Role.ADMIN)
    patched = await client.patch(f"/api/v1/admin/users/{user.id}", json=change, headers=admin)
    assert patched.status_code == 200, patched.text
    _assert_401(await client.get("/api/v1/auth/me", headers=bearer(old["access_token"])), "old")
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}
    )
    if "password" in change:
        _assert_401(refreshed, "refresh token after a password change")
        fresh = await client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": change["password"]}
        )
    else:
        fresh = refreshed  # a role change keeps the session; the new token carries the new role
    assert fresh.status_code == 200, fresh.text
    me = await client.get("/api/v1/auth/me", headers=bearer(fresh.json()["access_token"]))
    assert me.json()["role"] == change.get("role", "viewer")
