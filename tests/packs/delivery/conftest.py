from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.delivery.scenario import steps
from tests.packs.delivery.support import Team, make_team
from tests.support.auth import DEFAULT_TENANT_ID, app_of
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.github_events import EventApplier
from vantage.packs.delivery.service.webhooks import parse_event
from vantage.packs.delivery.settings import DeliverySettings


@pytest.fixture
async def delivery_client(
    client_for: ClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[build_pack()], rate_limit_enabled=False) as client:
        yield client


@pytest.fixture
async def team(delivery_client: httpx.AsyncClient) -> Team:
    return await make_team(delivery_client, DEFAULT_TENANT_ID)


async def load_scenario(team: Team) -> None:
    """Feed the scenario: GitHub events through the event applier, the rest through the API."""
    await team.create_source(["acme/api"])
    database = app_of(team.client).state.database
    async with database.reader() as session:
        repository = await records.repository_named(session, team.tenant_id, "acme/api")
    assert repository is not None
    for step in steps():
        if step.kind in ("deployments", "incidents"):
            response = await team.post(f"/{step.kind}", step.body)
            assert response.status_code == 200, response.text
            continue
        event = parse_event(step.kind, json.dumps(step.body).encode())
        assert event is not None
        async with database.transaction() as session:
            applier = EventApplier(session, team.tenant_id, repository.id, DeliverySettings())
            await applier.apply(event)


@pytest.fixture
async def loaded(team: Team) -> Team:
    await load_scenario(team)
    return team
