from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.support.auth import DEFAULT_TENANT_ID, api_key_headers, create_api_key, create_tenant
from vantage.core.auth.principal import Scope
from vantage.packs.aidev import PACK

API = "/api/v1/aidev"


@dataclass
class Team:
    """A running app with the aidev pack and credentials of one tenant."""

    client: httpx.AsyncClient
    tenant_id: int
    headers: dict[str, str]
    reader_headers: dict[str, str]

    async def post(self, records: Any, **params: str) -> httpx.Response:
        return await self.client.post(
            API + "/traces", json=records, params=params, headers=self.headers
        )

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(API + path, params=params, headers=self.reader_headers)


async def make_team(client: httpx.AsyncClient, tenant_id: int) -> Team:
    app = client.app  # type: ignore[attr-defined]
    ingest = await create_api_key(app, [Scope.INGEST, Scope.READ], tenant_id=tenant_id)
    read = await create_api_key(app, [Scope.READ], tenant_id=tenant_id)
    return Team(client, tenant_id, api_key_headers(ingest), api_key_headers(read))


@pytest.fixture
async def aidev_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[PACK], rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def team(aidev_client: httpx.AsyncClient) -> Team:
    return await make_team(aidev_client, DEFAULT_TENANT_ID)


@pytest.fixture
async def other_team(aidev_client: httpx.AsyncClient) -> Team:
    tenant = await create_tenant(aidev_client.app)  # type: ignore[attr-defined]
    return await make_team(aidev_client, tenant.id)
