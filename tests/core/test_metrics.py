from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import ClientFactory


@pytest.fixture
def client(admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Routes of the test pack need a signed-in caller."""
    return admin_client


@pytest.fixture
def sqlite_client(sqlite_admin_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return sqlite_admin_client


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        match = re.fullmatch(re.escape(name) + r"\{(.*)\} (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


async def test_requests_are_counted_by_route_template_and_status(
    sqlite_client: httpx.AsyncClient,
) -> None:
    for tenant_id in (1, 2, 3):
        await sqlite_client.get(f"/api/v1/testpack/tenants/{tenant_id}")
    await sqlite_client.get("/no/such/route")
    text = (await sqlite_client.get("/metrics")).text
    route = "/api/v1/testpack/tenants/{tenant_id}"
    assert _sample(text, "vantage_http_requests_total", route=route, status="200") == 1
    assert _sample(text, "vantage_http_requests_total", route=route, status="404") == 2
    assert _sample(text, "vantage_http_requests_total", route="<unmatched>", status="404") == 1
    assert _sample(text, "vantage_http_request_duration_seconds_count", route=route) == 3
    assert "/no/such/route" not in text  # raw paths never become labels


async def test_pool_gauges_are_exported(sqlite_client: httpx.AsyncClient) -> None:
    text = (await sqlite_client.get("/metrics")).text
    assert _sample(text, "vantage_db_pool_size", engine="write") == 10
    assert 'vantage_db_pool_checked_out{engine="read"}' in text


async def test_metrics_can_be_turned_off(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(sqlite_url, metrics_enabled=False) as client:
        assert (await client.get("/metrics")).status_code == 404
