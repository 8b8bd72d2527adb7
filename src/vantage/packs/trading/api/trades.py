"""Trades routes: list with filters and cursors, one trade, statistics, execution quality."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Page, PageParams, page_params
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.trading.api.dependencies import OptionalWindow
from vantage.packs.trading.ingest.events import Name, Symbol
from vantage.packs.trading.runtime import PACK_NAME, TradingRuntimeDep
from vantage.packs.trading.schemas import (
    ExecutionQuality,
    TradeDetail,
    TradeOut,
    TradeStatsSummary,
)
from vantage.packs.trading.service import trades as service

router = APIRouter(prefix="/trades")
MAX_TRADES_PER_PAGE = 500

TradePage = Annotated[PageParams, page_params(max_limit=MAX_TRADES_PER_PAGE)]
SymbolFilter = Annotated[Symbol | None, Query(description="Only this symbol")]
StrategyFilter = Annotated[Name | None, Query(description="Only this strategy")]


async def _fresh_tenant(
    reads: ConditionalReads, response: Response, principal: ReadPrincipal
) -> int:
    """The caller's tenant, once its read is stamped: a client holding the answer gets 304."""
    read = await reads.begin(principal.tenant_id, PACK_NAME)
    read.stamp(response)
    return principal.tenant_id


FreshTenant = Annotated[int, Depends(_fresh_tenant)]


async def _rollup_query(
    runtime: TradingRuntimeDep,
    window: Annotated[TimeWindow, window_param(default_days=30)],
    symbol: SymbolFilter = None,
    strategy: StrategyFilter = None,
) -> service.RollupQuery:
    """The daily-rollup routes' filters, over session days in the pack's zone."""
    return service.RollupQuery(
        window=window, zone=runtime.settings.zone, strategy=strategy, symbol=symbol
    )


Rollup = Annotated[service.RollupQuery, Depends(_rollup_query)]


@router.get(
    "",
    response_model=Page[TradeOut],
    summary="Trades (fills), newest first",
    description=(
        "Filters: symbol, side, strategy, from/to (or days). Up to 500 per page; follow "
        "`next_cursor` for deep pages (the first page also reports `total`)."
    ),
)
async def list_trades(
    tenant_id: FreshTenant,
    session: ReadSession,
    page: TradePage,
    cursors: Cursors,
    window: OptionalWindow,
    symbol: SymbolFilter = None,
    strategy: StrategyFilter = None,
    side: Annotated[Literal["buy", "sell"] | None, Query(description="Only this side")] = None,
    sort: Annotated[Literal["-ts", "ts"], Query(description="Time order")] = "-ts",
) -> Page[TradeOut]:
    query = service.TradeQuery(
        symbol=symbol, side=side, strategy=strategy, window=window, newest_first=sort == "-ts"
    )
    return await service.trade_page(session, tenant_id, query, page, cursors)


@router.get(
    "/stats/summary",
    response_model=TradeStatsSummary,
    summary="Trade statistics over whole session days, overall and by strategy",
)
async def trade_stats(
    tenant_id: FreshTenant, session: ReadSession, rollup: Rollup
) -> TradeStatsSummary:
    return await service.trade_stats(session, tenant_id, rollup)


@router.get(
    "/execution/quality",
    response_model=ExecutionQuality,
    summary="Fill rate, rejects, arrival slippage and latency by strategy and symbol",
)
async def execution_quality(
    tenant_id: FreshTenant, session: ReadSession, rollup: Rollup
) -> ExecutionQuality:
    return await service.execution_quality(session, tenant_id, rollup)


@router.get(
    "/{trade_id}",
    response_model=TradeDetail,
    summary="One trade with its order and the order's other fills",
)
async def trade_detail(
    trade_id: Annotated[str, Path(min_length=1, max_length=128, description="The fill id")],
    principal: ReadPrincipal,
    session: ReadSession,
) -> TradeDetail:
    return await service.trade_detail(session, principal.tenant_id, trade_id)
