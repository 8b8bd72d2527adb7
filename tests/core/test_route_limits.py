"""Every route is in a rate-limit group unless the one exempt list names it."""

from __future__ import annotations

import httpx
from fastapi.routing import iter_route_contexts

from tests.conftest import ClientFactory
from tests.support.auth import app_of, sign_in_as
from vantage.core.route_limits import EXEMPT, route_group


async def test_every_route_has_a_group_or_is_declared_exempt(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    unlimited = set()
    groups = {}
    for route in iter_route_contexts(app_of(every_pack_sqlite_client).routes):
        group = route_group(route)
        if group is None:
            unlimited.add(route.path)
        else:
            groups[(route.path, tuple(sorted(route.methods or ())))] = group
    assert unlimited <= set(EXEMPT), unlimited - set(EXEMPT)
    assert groups[("/api/v1/auth/refresh", ("POST",))] == "auth.tokens"
    assert groups[("/api/v1/admin/users", ("GET",))] == "default"
    assert groups[("/api/v1/stream/{channel}", ("GET",))] == "default"
    assert groups[("/api/v1/chat/send", ("POST",))] == "gateway.requests"
    assert groups[("/v1/chat/completions", ("POST",))] == "gateway.requests"


async def test_refresh_with_garbage_tokens_is_throttled_per_address(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        statuses = []
        for attempt in range(61):
            response = await client.post(
                "/api/v1/auth/refresh", json={"refresh_token": f"garbage-{attempt}"}
            )
            statuses.append(response.status_code)
        assert statuses[:60] == [401] * 60
        assert statuses[60] == 429 and int(response.headers["Retry-After"]) >= 1


async def test_routes_without_a_group_of_their_own_spend_the_default(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, rate_limit_default="3/minute") as client:
        await sign_in_as(client)
        for path in ("/api/v1/admin/users", "/api/v1/auth/me", "/api/v1/admin/api-keys"):
            response = await client.get(path)
            assert response.status_code == 200, response.text
            assert response.headers["RateLimit-Policy"].startswith(
                '"default"' if "admin" in path else '"auth.tokens"'
            )
        assert (await client.get("/api/v1/admin/users")).status_code == 200  # the 3rd of 3
        assert (await client.get("/api/v1/admin/users")).status_code == 429
        assert (await client.get("/health/ready")).status_code == 200  # exempt
