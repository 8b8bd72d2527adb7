"""The figures published on ``delivery.dora``: a burst of changes shares one refresh, and the
figures published after it equal those of the same changes refreshed one by one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.conftest import ClientFactory
from tests.packs.delivery.support import Team, make_team
from tests.support.auth import app_of, create_tenant
from vantage.core.db import utcnow
from vantage.core.realtime import Hub
from vantage.packs.delivery.channels import DORA_CHANNEL
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.runtime import DeliveryRuntime
from vantage.packs.delivery.settings import DeliverySettings

BURST = 8
FIGURES = ("deployment_frequency", "lead_time", "change_failure_rate", "rework_rate", "coverage")


def _deployment(index: int) -> dict[str, Any]:
    at = utcnow() - timedelta(days=2, hours=index)
    return {
        "id": f"ci-{index}", "service": "api", "repository": "acme/api",
        "commit_sha": f"{index:040x}", "status": "success",
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "kind": "hotfix" if index % 3 else "normal",
    }  # fmt: skip


def _runtime(team: Team) -> DeliveryRuntime:
    runtime: DeliveryRuntime = app_of(team.client).state.core.runtimes.get(
        "delivery", DeliveryRuntime
    )
    return runtime


async def _published(team: Team) -> dict[str, Any]:
    hub: Hub = app_of(team.client).state.hub
    latest = await hub.latest(team.tenant_id, DORA_CHANNEL)
    assert latest is not None
    body: dict[str, Any] = json.loads(latest.data_json)
    return {name: body[name] for name in FIGURES}


async def test_a_burst_is_refreshed_once_and_loses_nothing(
    client_for: ClientFactory, database_url: str
) -> None:
    # An interval far longer than the test: only the burst's first change refreshes by itself.
    pack = build_pack(DeliverySettings(dora_refresh_seconds=3600))
    async with client_for(database_url, packs=[pack], rate_limit_enabled=False) as client:
        app = app_of(client)
        burst = await make_team(client, (await create_tenant(app, "burst")).id)
        steady = await make_team(client, (await create_tenant(app, "steady")).id)
        refresh = _runtime(burst).live.figures

        for index in range(BURST):
            answer = await burst.post("/deployments", {"deployments": [_deployment(index)]})
            assert answer.status_code == 200, answer.text
        assert refresh.refreshes(burst.tenant_id) == 1
        first = await _published(burst)
        assert first["deployment_frequency"]["deployments"] == 1
        await refresh.flush()
        assert refresh.refreshes(burst.tenant_id) == 2

        for index in range(BURST):
            answer = await steady.post("/deployments", {"deployments": [_deployment(index)]})
            assert answer.status_code == 200, answer.text
            await refresh.flush()
        assert refresh.refreshes(steady.tenant_id) == BURST

        burst_figures = await _published(burst)
        assert burst_figures["deployment_frequency"]["deployments"] == BURST
        assert burst_figures == await _published(steady)
        read = (await burst.get("/dora")).json()
        assert burst_figures == {name: read[name] for name in FIGURES}
