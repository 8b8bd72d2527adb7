"""Threshold alerts: conditions, and raise -> acknowledge -> resolve over REST and the channel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.packs.trading.test_api import eventually, trading_settings
from tests.support.auth import app_of, sign_in_as
from vantage.core.auth.models import Role
from vantage.packs.trading import create_pack
from vantage.packs.trading.alerts import evaluate
from vantage.packs.trading.channels import ALERTS_CHANNEL, LocalPublisher
from vantage.packs.trading.collectors.engine import TenantCollectors
from vantage.packs.trading.collectors.snapshot import HostSnapshot
from vantage.packs.trading.events import Heartbeat
from vantage.packs.trading.facts import AppliedBatch

NOW = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


def _host(cpu: float) -> HostSnapshot:
    return HostSnapshot(
        cpu_percent=cpu,
        memory_percent=50.0,
        memory_used_bytes=1,
        disk_percent=95.0,
        load_average=None,
        sampled_at=NOW,
    )


def test_conditions_follow_the_thresholds() -> None:
    settings = trading_settings(cpu_alert_percent=80, daily_loss_alert=Decimal(100))
    collectors = TenantCollectors(1, settings)
    beats = [
        Heartbeat(id="a", ts=NOW, component="gateway", status="down"),
        Heartbeat(id="b", ts=NOW - timedelta(minutes=2), component="feed"),
        Heartbeat(id="c", ts=NOW, component="risk"),
    ]
    collectors.apply(AppliedBatch(tenant_id=1, version=1, heartbeats=beats), NOW)
    found = evaluate(collectors.snapshot(_host(85.0), NOW), settings)
    assert {(c.rule, c.subject, c.severity) for c in found} == {
        ("host_cpu", "host", "warning"),
        ("host_disk", "host", "warning"),
        ("component", "gateway", "critical"),
        ("component", "feed", "warning"),  # stale heartbeats
    }
    calm = evaluate(collectors.snapshot(_host(10.0), NOW), trading_settings(disk_alert_percent=99))
    assert {c.rule for c in calm} == {"component"}


@pytest.fixture
async def api(client_for: ClientFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(database_url, packs=[create_pack(trading_settings())]) as client:
        await sign_in_as(client, Role.ADMIN)
        yield client


def _heartbeat(event_id: str, status: str) -> dict[str, Any]:
    return {
        "type": "heartbeat",
        "id": event_id,
        "ts": datetime.now(UTC).isoformat(),
        "component": "order-gateway",
        "status": status,
        "interval_seconds": 60,
    }


async def test_alert_is_raised_acknowledged_and_resolved(api: httpx.AsyncClient) -> None:
    publisher = app_of(api).state.trading.publisher
    assert isinstance(publisher, LocalPublisher)

    def announced() -> list[tuple[str, int]]:
        kept = publisher.messages.get((1, ALERTS_CHANNEL), [])
        return [(m["action"], m["alert"]["id"]) for m in map(json.loads, kept)]

    await api.post("/api/v1/trading/events", json={"events": [_heartbeat("h1", "down")]})

    async def active() -> list[dict[str, Any]]:
        found = await api.get("/api/v1/trading/system/alerts", params={"status": "active"})
        return [a for a in found.json()["data"] if a["subject"] == "order-gateway"]

    (alert,) = await eventually(active)
    assert (alert["rule"], alert["severity"], alert["acknowledged_at"]) == (
        "component",
        "critical",
        None,
    )
    health = (await api.get("/api/v1/trading/system/health")).json()
    assert health["status"] == "down"

    ack = await api.post(f"/api/v1/trading/system/alerts/acknowledge/{alert['id']}")
    assert ack.status_code == 200 and ack.json()["changed"] is True
    assert ack.json()["alert"]["acknowledged_by"].endswith("@example.com")
    twice = await api.post(f"/api/v1/trading/system/alerts/acknowledge/{alert['id']}")
    assert twice.json()["changed"] is False
    missing = await api.post("/api/v1/trading/system/alerts/acknowledge/999999")
    assert missing.status_code == 404

    await api.post("/api/v1/trading/events", json={"events": [_heartbeat("h2", "ok")]})
    await eventually(lambda: ("resolved", alert["id"]) in announced())
    assert [a for a in announced() if a[1] == alert["id"]] == [
        ("raised", alert["id"]),
        ("acknowledged", alert["id"]),
        ("resolved", alert["id"]),
    ]
    listed = await api.get("/api/v1/trading/system/alerts", params={"status": "resolved"})
    resolved = listed.json()
    # Host alerts may come and go on a busy machine; this component's is the one to check.
    (settled,) = [a for a in resolved["data"] if a["subject"] == "order-gateway"]
    assert settled["id"] == alert["id"] and settled["acknowledged_at"] is not None
