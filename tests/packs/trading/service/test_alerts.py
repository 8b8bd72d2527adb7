"""Threshold alerts: conditions, and raise -> acknowledge -> resolve over REST and the channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.packs.trading.api.test_routes import trading_settings
from tests.support.auth import access_token_for, create_user, headers_for
from tests.support.realtime import open_socket, receive, serve, subscribe
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.events import Heartbeat
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.snapshot import HostSnapshot
from vantage.packs.trading.pack import create_pack
from vantage.packs.trading.service.alerts import evaluate

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


def _heartbeat(event_id: str, status: str) -> dict[str, Any]:
    return {
        "type": "heartbeat",
        "id": event_id,
        "ts": datetime.now(UTC).isoformat(),
        "component": "order-gateway",
        "status": status,
        "interval_seconds": 60,
    }


async def _next_about(ws: Any, subject: str) -> dict[str, Any]:
    """The next alerts-channel message about ``subject`` (host alerts of a busy machine
    may come and go in between)."""
    while True:
        frame = await receive(ws, within=10)
        if frame["op"] == "message" and frame["data"]["alert"]["subject"] == subject:
            return dict(frame["data"])


@dataclass(frozen=True)
class RaisedAlert:
    api: httpx.AsyncClient  # signed in as the tenant's admin
    ws: Any  # subscribed to trading.alerts
    alert: dict[str, Any]  # as the raise was announced
    admin_email: str


@asynccontextmanager
async def _component_down(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[RaisedAlert]:
    """A served app whose order gateway reported itself down, and the alert that raised."""
    app = create_app(
        make_settings(database_url=database_url), packs=[create_pack(trading_settings())]
    )
    async with serve(app) as server, httpx.AsyncClient(base_url=server.http_url) as api:
        admin = await create_user(app, Role.ADMIN)
        api.headers.update(headers_for(app, admin))
        ws = await open_socket(server.ws_url, as_user=access_token_for(app, admin))
        await subscribe(ws, "trading.alerts")
        await api.post("/api/v1/trading/events", json={"events": [_heartbeat("h1", "down")]})
        raised = await _next_about(ws, "order-gateway")
        assert raised["action"] == "raised"
        yield RaisedAlert(api, ws, raised["alert"], admin.email)
        await ws.close()


async def test_alert_is_raised_acknowledged_and_resolved(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with _component_down(make_settings, database_url) as raised:
        api, ws, alert = raised.api, raised.ws, raised.alert
        assert (alert["rule"], alert["severity"]) == ("component", "critical")
        listed = await api.get("/api/v1/trading/system/alerts", params={"status": "active"})
        assert alert["id"] in [a["id"] for a in listed.json()["data"]]
        assert (await api.get("/api/v1/trading/system/health")).json()["status"] == "down"

        ack = await api.post(f"/api/v1/trading/system/alerts/acknowledge/{alert['id']}")
        assert ack.status_code == 200 and ack.json()["changed"] is True
        acknowledged = await _next_about(ws, "order-gateway")
        assert acknowledged["action"] == "acknowledged"
        assert acknowledged["alert"]["acknowledged_by"] == raised.admin_email
        twice = await api.post(f"/api/v1/trading/system/alerts/acknowledge/{alert['id']}")
        assert twice.json()["changed"] is False
        missing = await api.post("/api/v1/trading/system/alerts/acknowledge/999999")
        assert missing.status_code == 404

        await api.post("/api/v1/trading/events", json={"events": [_heartbeat("h2", "ok")]})
        resolved = await _next_about(ws, "order-gateway")
        assert (resolved["action"], resolved["alert"]["id"]) == ("resolved", alert["id"])
        assert resolved["alert"]["acknowledged_at"] is not None


async def test_an_alert_resolved_unacknowledged_cannot_be_acknowledged(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    async with _component_down(make_settings, database_url) as raised:
        api, alert = raised.api, raised.alert
        await api.post("/api/v1/trading/events", json={"events": [_heartbeat("h2", "ok")]})
        assert (await _next_about(raised.ws, "order-gateway"))["action"] == "resolved"

        late = await api.post(f"/api/v1/trading/system/alerts/acknowledge/{alert['id']}")
        assert late.status_code == 409
        assert late.headers["content-type"].startswith("application/problem+json")
        assert "resolved" in late.json()["detail"]
        stored = await api.get("/api/v1/trading/system/alerts", params={"status": "resolved"})
        [after] = [a for a in stored.json()["data"] if a["id"] == alert["id"]]
        assert after["acknowledged_at"] is None and after["acknowledged_by"] is None
