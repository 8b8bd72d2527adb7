"""``/metrics/current`` answered before routing: the route's answer, the route's rules.

A URL with a query string always goes to the route, which is how these tests compare the two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.trading.api.test_routes import base, eventually, trading_settings
from tests.packs.trading.support import fill, order, tick
from tests.support.auth import (
    api_key_headers,
    app_of,
    bare_client,
    create_api_key,
    create_tenant,
    sign_in_as,
    user_headers,
)
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.packs.trading.pack import create_pack
from vantage.packs.trading.runtime import TradingRuntime

CURRENT = "/api/v1/trading/metrics/current"
EVENTS = "/api/v1/trading/events"


def early_answers(client: httpx.AsyncClient) -> float:
    registry = app_of(client).state.metrics_registry
    value = registry.get_sample_value("vantage_early_answers_total", {"kind": "hot_read"})
    return value or 0.0


async def _seed(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
    at = base()
    events = [
        tick("t0", 0, last=100, size=1, base=at),
        order("s0", "o0", 1, base=at, strategy="momentum", side="buy", qty="10"),
        fill("f0", "o0", 2, "10", "100", base=at),
    ]
    response = await client.post(EVENTS, json={"events": events}, headers=headers)
    assert response.status_code == 200 and response.json()["rejected"] == 0


async def _published(client: httpx.AsyncClient, tenant_id: int = 1) -> None:
    runtime = app_of(client).state.core.runtimes.get("trading", TradingRuntime)
    await eventually(lambda: runtime.latest_snapshot_json(tenant_id))


@pytest.fixture
async def api(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[create_pack(trading_settings())]) as client:
        await sign_in_as(client, Role.ADMIN)
        yield client


def _stable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What does not move between two snapshots of unchanged data (no clock, no host load)."""
    return {key: snapshot[key] for key in ("market", "strategies")}


async def test_polling_gets_the_routes_answer_without_routing(api: httpx.AsyncClient) -> None:
    await _seed(api)
    await _published(api)
    early = await api.get(CURRENT)
    assert early_answers(api) == 1
    routed = await api.get(CURRENT, params={"via": "route"})
    assert early_answers(api) == 1
    assert early.status_code == routed.status_code == 200
    for header in ("content-type", "cache-control"):
        assert early.headers[header] == routed.headers[header]
    assert _stable(early.json()) == _stable(routed.json())
    assert early.json()["strategies"][0]["strategy"] == "momentum"
    assert early.headers["x-request-id"] and early.headers["x-content-type-options"] == "nosniff"
    registry = app_of(api).state.metrics_registry
    labels = {"method": "GET", "route": CURRENT, "status": "200"}
    assert registry.get_sample_value("vantage_http_requests_total", labels) == 2


async def test_before_any_snapshot_the_route_answers(api: httpx.AsyncClient) -> None:
    empty = await api.get(CURRENT)
    assert empty.status_code == 200 and empty.json()["strategies"] == []
    assert early_answers(api) == 0


async def test_scope_credentials_and_tenants_are_the_routes(api: httpx.AsyncClient) -> None:
    await _seed(api)
    await _published(api)
    app = app_of(api)
    ingest_only = await create_api_key(app, [Scope.INGEST])
    async with bare_client(app) as bare:
        assert (await bare.get(CURRENT, headers=api_key_headers(ingest_only))).status_code == 403
        assert (await bare.get(CURRENT, headers={"Authorization": "Bearer no"})).status_code == 401
        assert (await bare.get(CURRENT)).status_code == 401
    other = await create_tenant(app)
    intruder = await user_headers(app, Role.ADMIN, tenant_id=other.id)
    theirs = (await api.get(CURRENT, headers=intruder)).json()
    assert theirs["strategies"] == [] and theirs["market"] == []
    assert early_answers(api) == 0


async def test_early_answers_spend_the_rate_limit(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(
        sqlite_url,
        packs=[create_pack(trading_settings())],
        rate_limit_enabled=True,
        rate_limits="trading.read=2/minute",
    ) as client:
        ingest = await create_api_key(app_of(client), [Scope.INGEST])
        await _seed(client, api_key_headers(ingest))
        await _published(client)
        reader = api_key_headers(await create_api_key(app_of(client), [Scope.READ]))
        answers = [await client.get(CURRENT, headers=reader) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[1].headers["ratelimit"].startswith('"trading.read";r=0;')
        assert early_answers(client) == 2
