"""Live metrics routes: the current snapshot, symbols, summary, and bar history."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from datetime import UTC, datetime

from fastapi import APIRouter, Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.auth.principal import Principal, Scope
from vantage.core.db import ReadSession
from vantage.core.early_answers import HotRead
from vantage.packs.trading.live.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.runtime import TradingRuntime, TradingRuntimeDep
from vantage.packs.trading.schemas import (
    HistoryRequest,
    HistoryResponse,
    MetricsSummary,
    SymbolsResponse,
)
from vantage.packs.trading.service import history as history_service
from vantage.packs.trading.service import live_metrics

PREFIX = "/api/v1/trading"
READ_RATE_LIMIT_GROUP = "trading.read"
CURRENT_METRICS_PATH = "/metrics/current"
JSON = "application/json"

router = APIRouter()


@router.get(
    CURRENT_METRICS_PATH,
    response_model=MetricsSnapshot,
    summary="The latest snapshot of every collector",
    description="The same document `trading.metrics` streams at 10 Hz.",
)
async def current_metrics(principal: ReadPrincipal, runtime: TradingRuntimeDep) -> Response:
    body = await live_metrics.current_snapshot_json(runtime, principal.tenant_id)
    return Response(body, media_type=JSON, headers={"Cache-Control": "no-store"})


def current_metrics_hot_read(runtime: TradingRuntime) -> HotRead:
    """The same answer as ``current_metrics``, given before routing while a snapshot exists.

    Dashboards poll it many times a second; routing it would cost several times the answer.
    """

    async def latest(principal: Principal) -> bytes | None:
        return await runtime.latest_snapshot_json(principal.tenant_id)

    return HotRead(
        path=PREFIX + CURRENT_METRICS_PATH, scope=Scope.READ,
        rate_limit_group=READ_RATE_LIMIT_GROUP, answer=latest, media_type=JSON,
        cache_control="no-store",
    )  # fmt: skip


@router.get(
    "/metrics/symbols",
    response_model=SymbolsResponse,
    summary="Every symbol's latest market figures",
)
async def symbols(principal: ReadPrincipal, runtime: TradingRuntimeDep) -> SymbolsResponse:
    return await live_metrics.symbols(runtime, principal.tenant_id)


@router.get(
    "/metrics/summary",
    response_model=MetricsSummary,
    summary="Headline figures: P&L, execution, system",
)
async def summary(principal: ReadPrincipal, runtime: TradingRuntimeDep) -> MetricsSummary:
    return await live_metrics.summary(runtime, principal.tenant_id)


@router.post(
    "/metrics/history",
    response_model=HistoryResponse,
    summary="Bars of some symbols over a range at an interval",
    description=(
        "Answered from the coarsest stored resolution that divides the interval (1 s bars are "
        "kept 24 h, 1 min bars 30 days, 1 h bars a year by default), merging the mergeable "
        "columns: VWAP is sum(p*q) / sum(q) over the whole interval."
    ),
)
async def metrics_history(
    request_body: HistoryRequest,
    principal: ReadPrincipal,
    session: ReadSession,
    runtime: TradingRuntimeDep,
) -> HistoryResponse:
    return await history_service.history(
        session, principal.tenant_id, request_body, runtime.settings, datetime.now(UTC)
    )
