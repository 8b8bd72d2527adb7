"""Walks every route: only the documented public ones answer without credentials, and every
admin route refuses callers without the admin scope."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support.auth import app_of, user_headers
from tests.support.routes import all_routes
from vantage.core.auth.models import Role

# Route template -> why it answers without credentials (API.md: health, metrics, docs and
# webhook receivers, plus the endpoints that exchange credentials for tokens).
PUBLIC: dict[str, str] = {
    "/": "landing document: product name, version and links (the web UI's shell for browsers)",
    "/api/v1": "the landing document under the API's base path",
    "/ui/sign-in": "web UI: the sign-in page",
    "/ui/admin/{section}": "web UI: page markup only; its data comes from the API with a token",
    "/ui/packs/{pack}": "web UI: page markup only; its data comes from the API with a token",
    "/ui/static/{version}/{path:path}": "web UI: scripts, styles and icons",
    "/health": "health summary for load balancers and monitors",
    "/health/live": "liveness probe",
    "/health/ready": "readiness probe",
    "/health/database": "database health probe",
    "/health/ml": "similarity search health: model, index backend and state, no tenant data",
    "/api/health": "MarketPulse's name for the health summary (docs/COMPAT.md)",
    "/metrics": "Prometheus scrapes without credentials (can be turned off)",
    "/openapi.json": "API documentation",
    "/docs": "API documentation",
    "/docs/oauth2-redirect": "API documentation",
    "/docs/assets/{name}": "API documentation: the pages' scripts and styles",
    "/redoc": "API documentation",
    "/api/v1/auth/token": "exchanges a password for tokens",
    "/api/v1/auth/refresh": "exchanges a refresh token for tokens",
    "/api/v1/auth/logout": "the refresh token in the body is the credential",
    "/api/v1/webhooks/github": "GitHub signs each delivery; the signature is the credential",
}


def _routes(app: Any) -> list[tuple[str, str]]:
    return [(route.path, method) for route in all_routes(app) for method in sorted(route.methods)]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_route_but_the_public_ones_needs_credentials(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    routes = _routes(app_of(every_pack_sqlite_client))
    assert {path for path, _ in routes} >= PUBLIC.keys(), "PUBLIC lists a route that is gone"
    protected = [(path, method) for path, method in routes if path not in PUBLIC]
    assert len(protected) >= 10
    for path, method in protected:
        response = await every_pack_sqlite_client.request(method, _concrete(path))
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
async def test_admin_routes_refuse_non_admins(
    every_pack_sqlite_client: httpx.AsyncClient, role: Role
) -> None:
    app = app_of(every_pack_sqlite_client)
    headers = await user_headers(app, role)
    admin_routes = [(p, m) for p, m in _routes(app) if p.startswith("/api/v1/admin/")]
    assert len(admin_routes) >= 9
    for path, method in admin_routes:
        response = await every_pack_sqlite_client.request(
            method, _concrete(path), headers=headers, json={}
        )
        assert response.status_code == 403, f"{method} {path} answered {response.status_code}"
        assert response.json()["code"] == "FORBIDDEN"


async def test_openapi_documents_both_credentials(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    document = (await every_pack_sqlite_client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert schemes["APIKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    token_body = document["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert set(token_body) == {"application/json", "application/x-www-form-urlencoded"}
    assert document["paths"]["/api/v1/admin/users"]["get"]["security"]
