"""System routes: health, performance, components, logs, statistics, alerts."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession, WriteSession, after_commit
from vantage.core.instants import InstantOrNaive
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.trading import alerts as alert_service
from vantage.packs.trading import monitor
from vantage.packs.trading.channels import ALERTS_CHANNEL
from vantage.packs.trading.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.dependencies import Runtime, Settings
from vantage.packs.trading.events import Name
from vantage.packs.trading.schemas import (
    AlertAck,
    AlertsResponse,
    ComponentsResponse,
    LogsResponse,
    SystemHealth,
    SystemPerformance,
    SystemStats,
)

router = APIRouter(prefix="/system")
MAX_LOG_LINES = 500


def _utc(value: datetime | None) -> datetime | None:
    """A query datetime in UTC; one without a zone is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/health", response_model=SystemHealth, summary="Overall status, components, alerts")
async def health(
    principal: ReadPrincipal, session: ReadSession, settings: Settings, runtime: Runtime
) -> SystemHealth:
    running = runtime.leading.is_set() or (
        await runtime.latest_snapshot_json(principal.tenant_id) is not None
    )
    return await monitor.health(session, principal.tenant_id, settings, datetime.now(UTC), running)


@router.get(
    "/performance",
    response_model=SystemPerformance,
    summary="Host CPU, memory, disk and the ingest rate",
)
async def performance(principal: ReadPrincipal, runtime: Runtime) -> SystemPerformance:
    latest = await runtime.latest_snapshot_json(principal.tenant_id)
    if latest is None:
        return SystemPerformance(
            host=runtime.host.latest,
            events_per_second=0.0,
            events_total=0,
            snapshot_sequence=None,
            snapshot_hz=runtime.settings.snapshot_hz,
            data_as_of=None,
        )
    snapshot = MetricsSnapshot.model_validate_json(latest)
    return SystemPerformance(
        host=snapshot.system.host,
        events_per_second=snapshot.system.events_per_second,
        events_total=snapshot.system.events_total,
        snapshot_sequence=snapshot.sequence,
        snapshot_hz=runtime.settings.snapshot_hz,
        data_as_of=snapshot.ts,
    )


@router.get(
    "/components",
    response_model=ComponentsResponse,
    summary="Components and their status from heartbeats",
)
async def components(
    principal: ReadPrincipal, session: ReadSession, settings: Settings
) -> ComponentsResponse:
    return await monitor.components(session, principal.tenant_id, settings, datetime.now(UTC))


@router.get("/logs/recent", response_model=LogsResponse, summary="Recent log lines, newest first")
async def recent_logs(
    principal: ReadPrincipal,
    session: ReadSession,
    level: Annotated[
        Literal["debug", "info", "warning", "error", "critical"] | None,
        Query(description="This level and above"),
    ] = None,
    component: Annotated[Name | None, Query(description="Only this component")] = None,
    since: Annotated[InstantOrNaive | None, Query(description="Only lines at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_LINES)] = 100,
) -> LogsResponse:
    return await monitor.recent_logs(
        session,
        principal.tenant_id,
        min_level=level,
        component=component,
        since=_utc(since),
        limit=limit,
    )


@router.get("/stats", response_model=SystemStats, summary="Event, order and log counts")
async def stats(
    principal: ReadPrincipal,
    session: ReadSession,
    settings: Settings,
    window: Annotated[TimeWindow, window_param(default_days=1)],
) -> SystemStats:
    return await monitor.stats(session, principal.tenant_id, window, settings, datetime.now(UTC))


@router.get("/alerts", response_model=AlertsResponse, summary="Alerts, newest first")
async def list_alerts(
    principal: ReadPrincipal,
    session: ReadSession,
    status: Annotated[
        Literal["active", "resolved"] | None, Query(description="Only this status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertsResponse:
    return await monitor.list_alerts(session, principal.tenant_id, status, limit)


@router.post(
    "/alerts/acknowledge/{alert_id}",
    response_model=AlertAck,
    summary="Acknowledge an alert",
    description=(
        "Records who saw the alert and when; it stays active until its condition clears. "
        "Acknowledging twice changes nothing (`changed: false`). Published on `trading.alerts`."
    ),
)
async def acknowledge_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: ReadPrincipal,
    session: WriteSession,
    runtime: Runtime,
) -> AlertAck:
    by = principal.email or f"{principal.kind}:{principal.subject_id}"
    alert, changed = await alert_service.acknowledge(
        session, principal.tenant_id, alert_id, by, datetime.now(UTC)
    )
    if changed:

        async def announce() -> None:
            message = {"action": "acknowledged", "alert": alert}
            await runtime.publisher.publish(principal.tenant_id, ALERTS_CHANNEL, message)

        after_commit(session, announce)
    return AlertAck(alert=alert, changed=changed)
