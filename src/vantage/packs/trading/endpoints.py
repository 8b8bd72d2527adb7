"""Trading routes: event ingest and live metrics (trades and system routes are mounted here too)."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.auth.principal import Principal, Scope
from vantage.core.db import ReadSession
from vantage.core.early_answers import HotRead
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import Claim, StoredResponse, respond_idempotently
from vantage.core.ratelimit import rate_limit
from vantage.packs.trading import history as history_service
from vantage.packs.trading.collectors.engine import TenantCollectors
from vantage.packs.trading.collectors.snapshot import MetricsSnapshot
from vantage.packs.trading.dependencies import Runtime, Settings
from vantage.packs.trading.events import BatchShapeError, EventBatch
from vantage.packs.trading.ingest import IngestOutcome
from vantage.packs.trading.ledger import ZERO
from vantage.packs.trading.runtime import TradingRuntime
from vantage.packs.trading.schemas import (
    HistoryRequest,
    HistoryResponse,
    IngestResponse,
    MetricsSummary,
    SymbolsResponse,
    ingest_response,
)
from vantage.packs.trading.system_endpoints import router as system_router
from vantage.packs.trading.trade_endpoints import router as trades_router

PREFIX = "/api/v1/trading"
READ_RATE_LIMIT_GROUP = "trading"
CURRENT_METRICS_PATH = "/metrics/current"
read_router = APIRouter(
    prefix=PREFIX,
    tags=["trading"],
    dependencies=[Depends(rate_limit(READ_RATE_LIMIT_GROUP))],
)
ingest_router = APIRouter(
    prefix=PREFIX,
    tags=["trading"],
    dependencies=[Depends(rate_limit("trading.ingest"))],
)

IDEMPOTENCY_SCOPE = "trading.events"
JSON = "application/json"


def _inlined(node: Any, definitions: dict[str, Any], open_refs: tuple[str, ...] = ()) -> Any:
    """``node`` with every ``$ref`` replaced by its definition, for a request body schema given
    outside the components; a recursive definition (any JSON value) becomes ``{}``."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in open_refs:
                return {}
            return _inlined(definitions[name], definitions, (*open_refs, name))
        # A discriminator's mapping names definitions that no longer exist once inlined; each
        # member still fixes its "type", which is all the mapping said.
        return {
            key: _inlined(value, definitions, open_refs)
            for key, value in node.items()
            if key != "mapping"
        }
    if isinstance(node, list):
        return [_inlined(item, definitions, open_refs) for item in node]
    return node


def _batch_schema() -> dict[str, Any]:
    schema = EventBatch.model_json_schema()
    definitions = schema.pop("$defs", {})
    return dict(_inlined(schema, definitions))


_BATCH_SCHEMA = _batch_schema()


@ingest_router.post(
    "/events",
    response_model=IngestResponse,
    responses={409: {"description": "A request with the same Idempotency-Key is in flight"}},
    summary="Ingest a batch of events",
    description=(
        "Ticks, order lifecycle events, fills, strategy updates, log lines and heartbeats, in "
        "one batch. Each event is validated on its own: good events are kept, bad ones come "
        "back in `errors` with their index, id and field. Event ids make resending safe: an "
        "id already stored is counted as a duplicate and changes nothing. A batch in which "
        "every event is refused is a 422 problem listing each one. With an `Idempotency-Key` "
        "header a retry gets the first answer back byte for byte."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BATCH_SCHEMA}},
        }
    },
)
async def ingest_events(request: Request, principal: IngestPrincipal, runtime: Runtime) -> Response:
    tenant_id = principal.tenant_id

    async def handle(claim: Claim | None) -> Response:
        try:
            parsed = runtime.pipeline.parse_body(await request.body())
        except BatchShapeError as error:
            raise ValidationFailed.field(error.loc, str(error)) from error
        stored: list[bytes] = []

        async def remember(session: AsyncSession, outcome: IngestOutcome) -> None:
            # The answer commits with the events it describes (a refused batch is stored later).
            if claim is not None and not _all_refused(outcome):
                body = ingest_response(outcome).model_dump_json().encode()
                stored.append(body)
                await runtime.idempotency.complete(session, claim, StoredResponse(200, JSON, body))

        outcome = await runtime.pipeline.ingest(tenant_id, parsed, remember)
        if _all_refused(outcome):
            raise _refusal(outcome)
        body = stored[0] if stored else ingest_response(outcome).model_dump_json().encode()
        return Response(body, media_type=JSON)

    return await respond_idempotently(
        request, runtime.idempotency, tenant_id, IDEMPOTENCY_SCOPE, handle
    )


def _all_refused(outcome: IngestOutcome) -> bool:
    return bool(outcome.errors) and outcome.accepted == 0 and outcome.duplicates == 0


def _refusal(outcome: IngestOutcome) -> ValidationFailed:
    return ValidationFailed(
        f"all {len(outcome.errors)} events were refused",
        errors=[
            {
                "loc": ["body", "events", error.index, *error.loc],
                "message": error.message,
                "type": error.type,
                "id": error.event_id,
            }
            for error in outcome.errors
        ],
    )


async def _snapshot_json(runtime: TradingRuntime, tenant_id: int) -> bytes:
    latest = await runtime.latest_snapshot_json(tenant_id)
    if latest is not None:
        return latest
    # Nothing published for this tenant yet (no data, or the collectors are starting).
    empty = TenantCollectors(tenant_id, runtime.settings)
    return empty.snapshot(runtime.host.latest).model_dump_json().encode()


@read_router.get(
    CURRENT_METRICS_PATH,
    response_model=MetricsSnapshot,
    summary="The latest snapshot of every collector",
    description="The same document `trading.metrics` streams at 10 Hz.",
)
async def current_metrics(principal: ReadPrincipal, runtime: Runtime) -> Response:
    body = await _snapshot_json(runtime, principal.tenant_id)
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


async def _snapshot(runtime: TradingRuntime, tenant_id: int) -> MetricsSnapshot | None:
    latest = await runtime.latest_snapshot_json(tenant_id)
    return MetricsSnapshot.model_validate_json(latest) if latest is not None else None


@read_router.get(
    "/metrics/symbols",
    response_model=SymbolsResponse,
    summary="Every symbol's latest market figures",
)
async def symbols(principal: ReadPrincipal, runtime: Runtime) -> SymbolsResponse:
    snapshot = await _snapshot(runtime, principal.tenant_id)
    if snapshot is None:
        return SymbolsResponse(data_as_of=None, symbols=[])
    return SymbolsResponse(data_as_of=snapshot.ts, symbols=snapshot.market)


@read_router.get(
    "/metrics/summary",
    response_model=MetricsSummary,
    summary="Headline figures: P&L, execution, system",
)
async def summary(principal: ReadPrincipal, runtime: Runtime) -> MetricsSummary:
    snapshot = await _snapshot(runtime, principal.tenant_id)
    if snapshot is None:
        empty = TenantCollectors(principal.tenant_id, runtime.settings)
        snapshot = empty.snapshot(runtime.host.latest)
        data_as_of: datetime | None = None
    else:
        data_as_of = snapshot.ts
    strategies = snapshot.strategies
    execution = snapshot.execution
    return MetricsSummary(
        data_as_of=data_as_of,
        session_day=snapshot.session_day,
        symbols=len(snapshot.market),
        strategies=len(strategies),
        realized_pnl=sum((s.realized_pnl for s in strategies), ZERO),
        unrealized_pnl=sum((s.unrealized_pnl for s in strategies), ZERO),
        daily_pnl=sum((s.daily_pnl for s in strategies), ZERO),
        orders_submitted=execution.orders.submitted,
        open_orders=execution.orders.open,
        fill_rate=execution.fill_rate,
        slippage_bps=execution.slippage_bps,
        latency_p99_ms=execution.latency_ms.p99,
        system_status=snapshot.system.status,
        active_alerts=sum(1 for alert in snapshot.system.alerts if alert.status == "active"),
        events_per_second=snapshot.system.events_per_second,
    )


@read_router.post(
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
    settings: Settings,
) -> HistoryResponse:
    return await history_service.history(
        session, principal.tenant_id, request_body, settings, datetime.now(UTC)
    )


read_router.include_router(trades_router)
read_router.include_router(system_router)
router = APIRouter()
router.include_router(read_router)
router.include_router(ingest_router)
