"""Tracked symbols: added and removed per tenant, kept in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.trading.api.test_routes import trading_settings
from tests.support.auth import api_key_headers, create_api_key, create_tenant
from vantage.core.auth.principal import Scope
from vantage.packs.trading.pack import create_pack

SYMBOLS = "/api/v1/trading/symbols"


@pytest.fixture
async def client(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[create_pack(trading_settings())]) as http:
        yield http


async def _headers(client: httpx.AsyncClient, tenant_id: int, *scopes: Scope) -> dict[str, str]:
    key = await create_api_key(client.app, list(scopes), tenant_id=tenant_id)  # type: ignore[attr-defined]
    return api_key_headers(key)


async def test_symbols_are_tracked_and_untracked_per_tenant(client: httpx.AsyncClient) -> None:
    writer = await _headers(client, 1, Scope.INGEST, Scope.READ)
    other_tenant = await create_tenant(client.app)  # type: ignore[attr-defined]
    other = await _headers(client, other_tenant.id, Scope.INGEST, Scope.READ)

    first = await client.post(SYMBOLS, json={"symbol": "AAPL"}, headers=writer)
    again = await client.post(SYMBOLS, json={"symbol": "AAPL"}, headers=writer)
    await client.post(SYMBOLS, json={"symbol": "BTC-USD"}, headers=writer)
    await client.post(SYMBOLS, json={"symbol": "MSFT"}, headers=other)

    assert first.status_code == 201 and first.json()["symbol"] == "AAPL"
    assert first.json()["added_by"]
    assert again.status_code == 200 and again.json()["added_at"] == first.json()["added_at"]
    listed = (await client.get(SYMBOLS, headers=writer)).json()["data"]
    assert [row["symbol"] for row in listed] == ["AAPL", "BTC-USD"]

    removed = await client.delete(f"{SYMBOLS}/AAPL", headers=writer)
    missing = await client.delete(f"{SYMBOLS}/AAPL", headers=writer)
    foreign = await client.delete(f"{SYMBOLS}/MSFT", headers=writer)

    assert removed.status_code == 204
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert foreign.status_code == 404  # another tenant's symbol is not ours to remove
    assert [r["symbol"] for r in (await client.get(SYMBOLS, headers=writer)).json()["data"]] == [
        "BTC-USD"
    ]
    assert [r["symbol"] for r in (await client.get(SYMBOLS, headers=other)).json()["data"]] == [
        "MSFT"
    ]


async def test_changes_need_the_ingest_scope_and_a_valid_symbol(client: httpx.AsyncClient) -> None:
    reader = await _headers(client, 1, Scope.READ)
    writer = await _headers(client, 1, Scope.INGEST)

    refused = await client.post(SYMBOLS, json={"symbol": "AAPL"}, headers=reader)
    invalid = await client.post(SYMBOLS, json={"symbol": "not a symbol!"}, headers=writer)

    assert refused.status_code == 403
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"][-1] == "symbol"
