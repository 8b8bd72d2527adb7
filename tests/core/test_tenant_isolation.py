"""Walks every route with path parameters and proves another tenant's ids answer 404.

For each route the test creates real objects in tenant A, then calls the route with their ids
as an admin of tenant B (every scope, so a 403 cannot hide a leak) and expects 404; the same
call as an admin of tenant A must then find them, which proves the ids were real.

A new route with path parameters makes this test fail until it gets an entry in
``TENANT_OBJECTS`` (how to make a tenant-A object for it) or in ``NOT_TENANT_DATA`` (why its
path parameters do not name tenant data).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.packs.assist.delivery_data import Issue, feed
from tests.packs.trading import support as trading_support
from tests.support.auth import (
    api_key_id,
    app_of,
    bare_client,
    create_api_key,
    create_tenant,
    create_user,
    headers_for,
)
from tests.support.routes import all_routes
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope


@dataclass(frozen=True)
class Tenants:
    """Tenant A (owns the objects) and tenant B (the intruder), with an admin each."""

    app: Any
    a_id: int
    b_id: int
    a_admin: dict[str, str]
    b_admin: dict[str, str]


@dataclass(frozen=True)
class Call:
    path_params: dict[str, Any]
    json: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    # The owner's call may find the object in a state that refuses it (409): that still shows
    # the owner reached it.
    owner_may_conflict: bool = False


ObjectFactory = Callable[[Tenants, str], Awaitable[Call]]


async def _user_of_a(tenants: Tenants, method: str) -> Call:
    user = await create_user(tenants.app, Role.VIEWER, tenant_id=tenants.a_id)
    return Call({"user_id": user.id}, json={"role": "analyst"} if method == "PATCH" else None)


async def _api_key_of_a(tenants: Tenants, method: str) -> Call:
    key = await create_api_key(tenants.app, [Scope.READ], tenant_id=tenants.a_id)
    return Call({"key_id": await api_key_id(tenants.app, key)})


async def _job_of_a(tenants: Tenants, method: str) -> Call:
    async with bare_client(tenants.app) as client:
        response = await client.post(
            "/api/v1/testpack/count", params={"n": 1000, "step": 1}, headers=tenants.a_admin
        )
    assert response.status_code == 202, response.text
    return Call({"job_id": response.json()["job_id"]})


async def _commerce_customer_of_a(tenants: Tenants, method: str) -> Call:
    order = {
        "id": "isolation-1",
        "customer_id": "customer-of-a",
        "placed_at": "2025-03-01T10:00:00Z",
        "status": "completed",
        "lines": [{"product_id": "p", "quantity": 1, "unit_price": "1"}],
    }
    async with bare_client(tenants.app) as client:
        response = await client.post(
            "/api/v1/commerce/orders", json={"orders": [order]}, headers=tenants.a_admin
        )
    assert response.status_code == 200, response.text
    return Call({"customer_id": "customer-of-a"})


async def _aidev_session_of_a(tenants: Tenants, method: str) -> Call:
    span = {
        "litellm_call_id": f"isolation-{uuid.uuid4().hex}",
        "call_type": "acompletion",
        "startTime": 1795440167.5,
        "response_cost": 0.001,
        "model": "gpt-4o-mini",
        "end_user": "developer-of-a@example.com",
        "session_id": f"session-{uuid.uuid4().hex[:8]}",
    }
    async with bare_client(tenants.app) as client:
        posted = await client.post("/api/v1/aidev/traces", json=[span], headers=tenants.a_admin)
        assert posted.status_code == 200 and posted.json()["accepted"] == 1, posted.text
        listed = await client.get("/api/v1/aidev/sessions", headers=tenants.a_admin)
    return Call({"session_id": listed.json()["data"][0]["id"]})


async def _tenant_a_itself(tenants: Tenants, method: str) -> Call:
    return Call({"tenant_id": tenants.a_id})


async def _trade_of_a(tenants: Tenants, method: str) -> Call:
    trade_id = f"fill-{uuid.uuid4().hex[:8]}"
    await trading_support.record_trade(tenants.app, tenants.a_id, trade_id)
    return Call({"trade_id": trade_id})


async def _trading_alert_of_a(tenants: Tenants, method: str) -> Call:
    # The live evaluator resolves this alert whenever it runs next (its condition never held),
    # and a resolved alert cannot be acknowledged.
    alert_id = await trading_support.raise_alert(tenants.app, tenants.a_id)
    return Call({"alert_id": alert_id}, owner_may_conflict=True)


async def _tracked_symbol_of_a(tenants: Tenants, method: str) -> Call:
    symbol = f"S{uuid.uuid4().hex[:6].upper()}"
    async with bare_client(tenants.app) as client:
        response = await client.post(
            "/api/v1/trading/symbols", json={"symbol": symbol}, headers=tenants.a_admin
        )
    assert response.status_code == 201, response.text
    return Call({"symbol": symbol})


async def _specialist_of_a(tenants: Tenants, method: str) -> Call:
    from vantage.packs.gateway.models import Specialist

    async with tenants.app.state.database.transaction() as session:
        row = Specialist(
            tenant_id=tenants.a_id,
            slug=f"s-{uuid.uuid4().hex[:8]}",
            name="Specialist of A",
            provider="simulated",
            model="sim-1",
            fallbacks=[],
            allowed_roles=[],
        )
        session.add(row)
        await session.flush()
        specialist_id = row.id
    return Call({"specialist_id": specialist_id}, json={"name": "B"} if method == "PATCH" else None)


async def _learning_entry_of_a(tenants: Tenants, method: str) -> Call:
    entry = {"question": "orders per day", "sql": "SELECT 1", "outcome": "success"}
    async with bare_client(tenants.app) as client:
        response = await client.post(
            "/api/v1/ml/learning-memory", json=entry, headers=tenants.a_admin
        )
    assert response.status_code == 200, response.text
    return Call({"entry_id": response.json()["entry"]["id"]})


async def _delivery_source_of_a(tenants: Tenants, method: str) -> Call:
    # A sync started by this test finds nothing listening there, instead of reaching GitHub.
    body = {"name": f"github-{uuid.uuid4().hex[:8]}", "repositories": ["acme/api"],
            "api_url": "http://127.0.0.1:9"}  # fmt: skip
    async with bare_client(tenants.app) as client:
        response = await client.post(
            "/api/v1/etl/sources", json={**body, "secret": "s" * 16}, headers=tenants.a_admin
        )
    assert response.status_code == 201, response.text
    patch = {"repositories": ["acme/web"]} if method == "PATCH" else None
    return Call({"source_id": response.json()["id"]}, json=patch)


# Route template -> a factory making a fresh tenant-A object for one call of that route.
TENANT_OBJECTS: dict[str, ObjectFactory] = {
    "/api/v1/admin/users/{user_id}": _user_of_a,
    "/api/v1/admin/api-keys/{key_id}": _api_key_of_a,
    "/api/v1/testpack/tenants/{tenant_id}": _tenant_a_itself,
    "/api/v1/specialists/{specialist_id}": _specialist_of_a,
    "/api/v1/jobs/{job_id}": _job_of_a,
    "/api/v1/jobs/{job_id}/cancel": _job_of_a,
    "/api/v1/trading/trades/{trade_id}": _trade_of_a,
    "/api/v1/trading/system/alerts/acknowledge/{alert_id}": _trading_alert_of_a,
    "/api/v1/trading/symbols/{symbol}": _tracked_symbol_of_a,
    "/api/v1/commerce/customers/{customer_id}": _commerce_customer_of_a,
    "/api/v1/ml/learning-memory/{entry_id}": _learning_entry_of_a,
    "/api/v1/aidev/sessions/{session_id}": _aidev_session_of_a,
    "/api/v1/etl/sources/{source_id}": _delivery_source_of_a,
    "/api/v1/etl/sources/{source_id}/sync": _delivery_source_of_a,
    # Compatibility aliases (docs/COMPAT.md): the same objects through the older URLs.
    "/api/sessions/{session_id}": _aidev_session_of_a,
    "/app/etl/sources/{source_id}": _delivery_source_of_a,
    "/app/etl/sources/{source_id}/sync": _delivery_source_of_a,
    "/app/etl/jobs/{job_id}": _job_of_a,
}

# Route template -> why its path parameters are not tenant-owned ids.
NOT_TENANT_DATA: dict[str, str] = {
    "/api/v1/stream/{channel}": (
        "a channel name, not an id: the server scopes every channel to the caller's tenant "
        "(tests/core/realtime prove tenant B never receives tenant A's messages)"
    ),
    "/docs/assets/{name}": "a file name of the documentation pages' bundles, the same for all",
}


def _routes_with_path_parameters(app: Any) -> list[tuple[str, str]]:
    return [
        (route.path, method)
        for route in all_routes(app)
        if route.is_api_route and route.path_params
        for method in sorted(route.methods)
    ]


async def _tenants(client: httpx.AsyncClient) -> Tenants:
    app = app_of(client)
    a, b = await create_tenant(app), await create_tenant(app)
    a_admin = await create_user(app, Role.ADMIN, tenant_id=a.id)
    b_admin = await create_user(app, Role.ADMIN, tenant_id=b.id)
    return Tenants(app, a.id, b.id, headers_for(app, a_admin), headers_for(app, b_admin))


async def test_every_route_with_ids_is_listed(every_pack_sqlite_client: httpx.AsyncClient) -> None:
    routes = {path for path, _ in _routes_with_path_parameters(app_of(every_pack_sqlite_client))}
    unlisted = routes - TENANT_OBJECTS.keys() - NOT_TENANT_DATA.keys()
    assert not unlisted, (
        f"routes without a tenant-isolation entry: {sorted(unlisted)}; add a factory to "
        "TENANT_OBJECTS (or, with a reason, to NOT_TENANT_DATA)"
    )
    stale = (TENANT_OBJECTS.keys() | NOT_TENANT_DATA.keys()) - routes
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


async def test_no_route_reaches_another_tenants_objects(
    every_pack_client: httpx.AsyncClient,
) -> None:
    client = every_pack_client
    tenants = await _tenants(client)
    checked = 0
    for path, method in _routes_with_path_parameters(tenants.app):
        if path not in TENANT_OBJECTS:
            continue
        call = await TENANT_OBJECTS[path](tenants, method)
        url = path.format(**call.path_params)
        intruder = await client.request(
            method, url, json=call.json, params=call.query, headers=tenants.b_admin
        )
        assert intruder.status_code == 404, f"{method} {path} as tenant B: {intruder.text}"
        assert intruder.json()["code"] == "NOT_FOUND"
        owner = await client.request(
            method, url, json=call.json, params=call.query, headers=tenants.a_admin
        )
        reached = owner.status_code < 400 or (call.owner_may_conflict and owner.status_code == 409)
        assert reached, f"{method} {path} as tenant A: {owner.text}"
        checked += 1
    assert checked >= 6


# Routes that name no ids but search a tenant's data by the body: tenant B finds nothing of A.
BODY_SEARCHES: dict[str, tuple[dict[str, Any], Callable[[Any], int]]] = {
    "/api/v1/search/similar": (
        {"text": "Migrate the billing schema", "kinds": ["work_item", "pull_request"]},
        lambda body: len(body["results"]),
    ),
    "/api/v1/ai/estimate/story-points": (
        {"title": "Migrate the billing schema"},
        lambda body: int(body["n"]),
    ),
}


async def test_no_search_finds_or_counts_another_tenants_items(
    every_pack_client: httpx.AsyncClient,
) -> None:
    client = every_pack_client
    tenants = await _tenants(client)
    issue = Issue(1, "Migrate the billing schema", points=5)
    await feed(client, tenants.a_id, [issue], [(2, "Migrate billing")])
    for path, (body, found) in BODY_SEARCHES.items():
        intruder = await client.post(path, json=body, headers=tenants.b_admin)
        assert intruder.status_code == 200, intruder.text
        assert found(intruder.json()) == 0, f"{path} as tenant B: {intruder.text}"
        owner = await client.post(path, json=body, headers=tenants.a_admin)
        assert found(owner.json()) > 0, f"{path} as tenant A: {owner.text}"
    # What the tenant's searches cover is counted over its own items only.
    index = {
        who: (await client.get("/api/v1/search/index", headers=headers)).json()["items_indexed"]
        for who, headers in (("intruder", tenants.b_admin), ("owner", tenants.a_admin))
    }
    assert index == {"intruder": 0, "owner": 2}
