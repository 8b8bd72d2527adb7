from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support.auth import DEFAULT_TENANT_ID, app_of, create_tenant, user_headers
from vantage.core.auth.models import Role
from vantage.packs.assist.pack import create_pack
from vantage.packs.assist.settings import AssistSettings
from vantage.packs.commerce import PACK as COMMERCE
from vantage.packs.delivery.pack import build_pack as build_delivery_pack

AI = "/api/v1/ai"
TEST_SETTINGS = AssistSettings(
    _env_file=None, query_timeout_ms=2_000, max_rows=50, embedder="lexical", vector_backend="numpy"
)


@dataclass
class Analyst:
    """A tenant's analyst (read + analyze) and admin (every scope) on a running app."""

    client: httpx.AsyncClient
    tenant_id: int
    headers: dict[str, str]
    admin_headers: dict[str, str]

    async def post(self, path: str, body: object) -> httpx.Response:
        return await self.client.post(AI + path, json=body, headers=self.headers)

    async def add_orders(self, *order_ids: str, amount: str = "10") -> None:
        orders = [
            {
                "id": order_id,
                "customer_id": f"customer-{order_id}",
                "placed_at": "2025-03-01T10:00:00Z",
                "status": "completed",
                "lines": [{"product_id": "p1", "quantity": 1, "unit_price": amount}],
            }
            for order_id in order_ids
        ]
        response = await self.client.post(
            "/api/v1/commerce/orders", json={"orders": orders}, headers=self.admin_headers
        )
        assert response.status_code == 200, response.text


async def make_analyst(client: httpx.AsyncClient, tenant_id: int) -> Analyst:
    app = app_of(client)
    return Analyst(
        client,
        tenant_id,
        await user_headers(app, Role.ANALYST, tenant_id=tenant_id),
        await user_headers(app, Role.ADMIN, tenant_id=tenant_id),
    )


@pytest.fixture
async def assist_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    packs = [COMMERCE, create_pack(TEST_SETTINGS)]
    async with client_for(database_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def with_delivery_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    packs = [COMMERCE, build_delivery_pack(), create_pack(TEST_SETTINGS)]
    async with client_for(database_url, packs=packs, rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def planner(with_delivery_client: httpx.AsyncClient) -> Analyst:
    """An analyst of a running app that has the delivery pack too."""
    return await make_analyst(with_delivery_client, DEFAULT_TENANT_ID)


@pytest.fixture
async def analyst(assist_client: httpx.AsyncClient) -> Analyst:
    return await make_analyst(assist_client, DEFAULT_TENANT_ID)


@pytest.fixture
async def other_analyst(assist_client: httpx.AsyncClient) -> Analyst:
    tenant = await create_tenant(app_of(assist_client))
    return await make_analyst(assist_client, tenant.id)
