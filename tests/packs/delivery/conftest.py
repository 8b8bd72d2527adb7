from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.delivery.support import Team, make_team
from tests.support.auth import DEFAULT_TENANT_ID
from vantage.packs.delivery.pack import build_pack


@pytest.fixture
async def delivery_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[build_pack()], rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def team(delivery_client: httpx.AsyncClient) -> Team:
    return await make_team(delivery_client, DEFAULT_TENANT_ID)
