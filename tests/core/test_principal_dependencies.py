"""The principal dependencies as other code uses them: optional auth, request state, the
credential check of the WebSocket hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from tests.conftest import ClientFactory
from tests.support.auth import app_of, bearer, create_api_key, create_user, headers_for
from vantage.core.auth.dependencies import (
    AnalyzePrincipal,
    CurrentPrincipal,
    OptionalPrincipal,
    authenticate_credential,
)
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.core.errors import Unauthorized
from vantage.core.packs import Pack

probe = APIRouter(prefix="/api/v1/probe")


class Seen(BaseModel):
    subject: int | None
    stored: bool


@probe.get("/optional", response_model=Seen)
async def optional(principal: OptionalPrincipal, request: Request) -> Seen:
    stored = getattr(request.state, "principal", None)
    return Seen(subject=principal.subject_id if principal else None, stored=stored is principal)


@probe.get("/current", response_model=Seen)
async def current(principal: CurrentPrincipal, request: Request) -> Seen:
    return Seen(subject=principal.subject_id, stored=request.state.principal is principal)


@probe.get("/analyze", response_model=Seen)
async def analyze(principal: AnalyzePrincipal) -> Seen:
    return Seen(subject=principal.subject_id, stored=True)


PROBE = Pack(name="probe", title="Probe", version="1", router=probe)


@pytest.fixture
async def probe_client(
    client_for: ClientFactory, sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sqlite_url, packs=[PROBE]) as client:
        yield client


async def test_optional_principal(probe_client: httpx.AsyncClient) -> None:
    app = app_of(probe_client)
    user = await create_user(app)
    anonymous = await probe_client.get("/api/v1/probe/optional")
    assert anonymous.json() == {"subject": None, "stored": True}
    known = await probe_client.get("/api/v1/probe/optional", headers=headers_for(app, user))
    assert known.json() == {"subject": user.id, "stored": True}
    invalid = await probe_client.get("/api/v1/probe/optional", headers=bearer("nonsense"))
    assert invalid.status_code == 401


async def test_current_principal_is_kept_on_the_request(probe_client: httpx.AsyncClient) -> None:
    app = app_of(probe_client)
    user = await create_user(app)
    seen = await probe_client.get("/api/v1/probe/current", headers=headers_for(app, user))
    assert seen.json() == {"subject": user.id, "stored": True}


async def test_roles_map_to_scopes(probe_client: httpx.AsyncClient) -> None:
    app = app_of(probe_client)
    expected = {Role.VIEWER: 403, Role.ANALYST: 200, Role.ADMIN: 200}
    for role, status in expected.items():
        headers = headers_for(app, await create_user(app, role))
        response = await probe_client.get("/api/v1/probe/analyze", headers=headers)
        assert response.status_code == status, role


async def test_authenticate_credential_takes_tokens_and_keys(
    probe_client: httpx.AsyncClient,
) -> None:
    app = app_of(probe_client)
    user = await create_user(app, Role.ANALYST)
    by_token = await authenticate_credential(app, headers_for(app, user)["Authorization"][7:])
    assert (by_token.kind, by_token.subject_id, by_token.role) == ("user", user.id, Role.ANALYST)
    assert by_token.scopes == {Scope.READ, Scope.ANALYZE}
    key = await create_api_key(app, [Scope.INGEST])
    by_key = await authenticate_credential(app, key)
    assert (by_key.kind, by_key.tenant_id, by_key.scopes) == (
        "api_key",
        1,
        frozenset({Scope.INGEST}),
    )
    for garbage in ("", "vk_", "vk_nope", "a.b.c", "x" * 10_000):
        with pytest.raises(Unauthorized):
            await authenticate_credential(app, garbage)
