"""System routes: health, performance, components, logs, statistics, alerts."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.instants import InstantOrNaive
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.trading.ingest.events import Name
from vantage.packs.trading.runtime import TradingRuntimeDep
from vantage.packs.trading.schemas import (
    AlertAck,
    AlertsResponse,
    ComponentsResponse,
    LogsResponse,
    SystemHealth,
    SystemPerformance,
    SystemStats,
)
from vantage.packs.trading.service import alerts as alert_service
from vantage.packs.trading.service import live_metrics
from vantage.packs.trading.service import system as system_service
from vantage.packs.trading.service.collector_status import collector_statuses

router = APIRouter(prefix="/system")
MAX_LOG_LINES = 500


def _utc(value: datetime | None) -> datetime | None:
    """A query datetime in UTC; one without a zone is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/health", response_model=SystemHealth, summary="Overall status, components, alerts")
async def health(
    principal: ReadPrincipal, session: ReadSession, runtime: TradingRuntimeDep
) -> SystemHealth:
    running = await live_metrics.collectors_running(runtime, principal.tenant_id)
    return await system_service.health(
        session, principal.tenant_id, runtime.settings, datetime.now(UTC), running
    )


@router.get(
    "/performance",
    response_model=SystemPerformance,
    summary="Host CPU, memory, disk and the ingest rate",
)
async def performance(principal: ReadPrincipal, runtime: TradingRuntimeDep) -> SystemPerformance:
    return await live_metrics.performance(runtime, principal.tenant_id)


@router.get(
    "/components",
    response_model=ComponentsResponse,
    summary="Components and their status from heartbeats",
)
async def components(
    principal: ReadPrincipal, session: ReadSession, runtime: TradingRuntimeDep
) -> ComponentsResponse:
    found = await system_service.components(
        session, principal.tenant_id, runtime.settings, datetime.now(UTC)
    )
    found.collectors = await collector_statuses(runtime, principal.tenant_id)
    return found


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
    return await system_service.recent_logs(
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
    runtime: TradingRuntimeDep,
    window: Annotated[TimeWindow, window_param(default_days=1)],
) -> SystemStats:
    return await system_service.stats(
        session, principal.tenant_id, window, runtime.settings, datetime.now(UTC)
    )


@router.get("/alerts", response_model=AlertsResponse, summary="Alerts, newest first")
async def list_alerts(
    principal: ReadPrincipal,
    session: ReadSession,
    status: Annotated[
        Literal["active", "resolved"] | None, Query(description="Only this status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertsResponse:
    return await system_service.list_alerts(session, principal.tenant_id, status, limit)


@router.post(
    "/alerts/acknowledge/{alert_id}",
    response_model=AlertAck,
    summary="Acknowledge an alert",
    description=(
        "Records who saw the alert and when; it stays active until its condition clears. "
        "Acknowledging twice changes nothing (`changed: false`); an alert resolved before "
        "anyone acknowledged it answers 409. Published on `trading.alerts`."
    ),
)
async def acknowledge_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: ReadPrincipal,
    session: WriteSession,
    runtime: TradingRuntimeDep,
) -> AlertAck:
    by = principal.email or f"{principal.kind}:{principal.subject_id}"
    alert, changed = await alert_service.acknowledge_and_announce(
        session, runtime.publisher, principal.tenant_id, alert_id, by, datetime.now(UTC)
    )
    return AlertAck(alert=alert, changed=changed)
