from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support.auth import DEFAULT_TENANT_ID, api_key_headers, create_api_key, create_tenant
from vantage.core.auth.principal import Scope
from vantage.packs.commerce import PACK

ORDERS = "/api/v1/commerce/orders"
API = "/api/v1/commerce"


@dataclass
class Shop:
    """A running app with the commerce pack and credentials of one tenant."""

    client: httpx.AsyncClient
    tenant_id: int
    headers: dict[str, str]
    reader_headers: dict[str, str]

    async def post(self, orders: list[dict[str, object]], **headers: str) -> httpx.Response:
        return await self.client.post(
            ORDERS, json={"orders": orders}, headers={**self.headers, **headers}
        )

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.get(API + path, headers={**self.reader_headers, **headers})


async def make_shop(client: httpx.AsyncClient, tenant_id: int) -> Shop:
    app = client.app  # type: ignore[attr-defined]
    ingest = await create_api_key(app, [Scope.INGEST, Scope.READ], tenant_id=tenant_id)
    read = await create_api_key(app, [Scope.READ], tenant_id=tenant_id)
    return Shop(client, tenant_id, api_key_headers(ingest), api_key_headers(read))


@pytest.fixture
async def commerce_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[PACK], rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def shop(commerce_client: httpx.AsyncClient) -> Shop:
    return await make_shop(commerce_client, DEFAULT_TENANT_ID)


@pytest.fixture
async def other_shop(commerce_client: httpx.AsyncClient) -> Shop:
    tenant = await create_tenant(commerce_client.app)  # type: ignore[attr-defined]
    return await make_shop(commerce_client, tenant.id)
