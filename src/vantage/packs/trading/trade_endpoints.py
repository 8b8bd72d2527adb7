"""Trades routes: list with filters and cursors, one trade, statistics, execution quality."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Page, PageParams, page_of, page_params
from vantage.core.windows import TimeWindow, window_param
from vantage.packs.trading import service
from vantage.packs.trading.dependencies import OptionalWindow, Settings, fresh_or_304
from vantage.packs.trading.events import Name, Symbol
from vantage.packs.trading.repository import trades as repo
from vantage.packs.trading.schemas import (
    ExecutionQuality,
    TradeDetail,
    TradeOut,
    TradeStatsSummary,
)

router = APIRouter(prefix="/trades")
MAX_TRADES_PER_PAGE = 500

TradePage = Annotated[PageParams, page_params(max_limit=MAX_TRADES_PER_PAGE)]
SymbolFilter = Annotated[Symbol | None, Query(description="Only this symbol")]
StrategyFilter = Annotated[Name | None, Query(description="Only this strategy")]


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
    request: Request,
    response: Response,
    principal: ReadPrincipal,
    session: ReadSession,
    page: TradePage,
    cursors: Cursors,
    window: OptionalWindow,
    symbol: SymbolFilter = None,
    strategy: StrategyFilter = None,
    side: Annotated[Literal["buy", "sell"] | None, Query(description="Only this side")] = None,
    sort: Annotated[Literal["-ts", "ts"], Query(description="Time order")] = "-ts",
) -> Page[TradeOut]:
    await fresh_or_304(request, response, session, principal.tenant_id)
    filters = repo.TradeFilters(
        symbol=symbol,
        side=side,
        strategy=strategy,
        start=window.start if window else None,
        end=window.end if window else None,
    )
    scope = f"trading.trades:{sort}:{symbol}:{side}:{strategy}:{window}"
    after = cursors.decode(scope, page.cursor) if page.cursor else None
    rows, total = await repo.list_trades(
        session,
        principal.tenant_id,
        filters,
        newest_first=sort == "-ts",
        limit=page.limit + 1,
        offset=page.offset,
        after=after,
        with_total=page.cursor is None,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = cursors.encode(scope, service.cursor_values(rows[-1])) if more else None
    items = [service.trade_out(fill) for fill in rows]
    return page_of(items, page, total=total, next_cursor=next_cursor)


@router.get(
    "/stats/summary",
    response_model=TradeStatsSummary,
    summary="Trade statistics over whole session days, overall and by strategy",
)
async def trade_stats(
    request: Request,
    response: Response,
    principal: ReadPrincipal,
    session: ReadSession,
    settings: Settings,
    window: Annotated[TimeWindow, window_param(default_days=30)],
    symbol: SymbolFilter = None,
    strategy: StrategyFilter = None,
) -> TradeStatsSummary:
    await fresh_or_304(request, response, session, principal.tenant_id)
    return await service.trade_stats(
        session, principal.tenant_id, window, settings.zone, strategy, symbol
    )


@router.get(
    "/execution/quality",
    response_model=ExecutionQuality,
    summary="Fill rate, rejects, arrival slippage and latency by strategy and symbol",
)
async def execution_quality(
    request: Request,
    response: Response,
    principal: ReadPrincipal,
    session: ReadSession,
    settings: Settings,
    window: Annotated[TimeWindow, window_param(default_days=30)],
    symbol: SymbolFilter = None,
    strategy: StrategyFilter = None,
) -> ExecutionQuality:
    await fresh_or_304(request, response, session, principal.tenant_id)
    return await service.execution_quality(
        session, principal.tenant_id, window, settings.zone, strategy, symbol
    )


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
