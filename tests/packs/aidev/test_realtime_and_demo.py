"""The live channels after an ingest commit, and the demo's ground truth seen through the API."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.conftest import ClientFactory
from tests.packs.aidev.conftest import Team, make_team
from tests.packs.aidev.support import payload
from tests.support.auth import DEFAULT_TENANT_ID
from vantage.core.packs import DemoContext
from vantage.core.realtime import Hub
from vantage.core.stats import anomalies
from vantage.packs.aidev import PACK
from vantage.packs.aidev.channels import METRICS_CHANNEL, SESSIONS_CHANNEL
from vantage.packs.aidev.demo import SCALES, SEED, busy_day, day_payloads, developers


async def _latest(hub: Hub, tenant_id: int, channel: str) -> object:
    for _ in range(200):  # the KPI push runs as its own task after the commit
        message = await hub.latest(tenant_id, channel)
        if message is not None:
            return json.loads(message.data_json)
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing published on {channel}")


async def test_an_ingest_commit_is_announced_on_both_channels(team: Team) -> None:
    await team.post([payload(f"rt{i}", "2026-06-01T09:00:00Z", session="live") for i in range(3)])
    hub = team.client.app.state.core.hub  # type: ignore[attr-defined]
    sessions = await _latest(hub, team.tenant_id, SESSIONS_CHANNEL)
    assert isinstance(sessions, dict) and sessions["requests"] == 3
    assert len(sessions["sessions"]) == 1
    metrics = await _latest(hub, team.tenant_id, METRICS_CHANNEL)
    assert isinstance(metrics, dict)
    assert [kpi["key"] for kpi in metrics["kpis"]][:4] == [
        "ai_velocity", "acceptance_rate", "error_rate", "model_accuracy",
    ]  # fmt: skip


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("weekday", range(7))
def test_the_planted_spike_passes_the_detectors_bar_whatever_the_weekday(
    scale: str, weekday: int
) -> None:
    """The demo's requests per day, as generated on a day of each weekday: the busy day is the
    one anomaly of its weekday the insights report."""
    count, days = SCALES[scale]
    today = datetime(2026, 12, 7, tzinfo=UTC) + timedelta(days=weekday)
    rng = random.Random(SEED)
    team = developers(count, rng)
    busy = busy_day(today)
    dates = [today - timedelta(days=back) for back in range(days, 0, -1)]
    requests = [float(len(day_payloads(team, day, day == busy, rng))) for day in dates]
    spikes = {dates[a.index] for a in anomalies.detect(requests) if a.direction == "spike"}
    assert busy in spikes


async def test_the_demo_data_shows_its_planted_anomaly(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, packs=[PACK], rate_limit_enabled=False) as client:
        app = client.app  # type: ignore[attr-defined]
        context = DemoContext(app.state.settings, app.state.database, DEFAULT_TENANT_ID, "small")
        assert PACK.demo is not None
        summary = await PACK.demo(context)
        assert "of 5 developers over 45 days" in summary
        team = await make_team(client, DEFAULT_TENANT_ID)
        insights = (await team.get("/insights", days=45)).json()
        today = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
        spikes = {
            (a["series"], a["date"]) for a in insights["anomalies"] if a["direction"] == "spike"
        }
        assert ("requests", busy_day(today).date().isoformat()) in spikes
        assert any(r["rule"] == "anomaly.requests" for r in insights["recommendations"])
        metrics = {k["key"]: k for k in (await team.get("/metrics", days=7)).json()["kpis"]}
        # Ground truth: 3 % of requests fail; a suggestion is accepted 25-40 % of the time.
        assert 0.0 < metrics["error_rate"]["value"] < 0.1
        assert 0.2 < metrics["acceptance_rate"]["value"] < 0.45
        assert (await team.get("/sessions")).json()["pagination"]["total"] > 50
        again = await PACK.demo(context)
        assert again.startswith("0 LLM requests")
