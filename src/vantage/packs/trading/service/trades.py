"""Reads behind the trades routes: pages of trades, one trade, statistics, execution quality.

Statistics and execution quality cover whole session days (the daily rollups' grain): the
window is widened to the session days it touches and echoed back as such.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import NotFound
from vantage.core.pagination import CursorCodec, Page, PageParams, page_of
from vantage.core.windows import TimeWindow
from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.ledger import ZERO, q10
from vantage.packs.trading.ingest.changes import FillFact
from vantage.packs.trading.models import ExecutionDay, Fill, Order, StrategyDay
from vantage.packs.trading.repository import trades as repo
from vantage.packs.trading.schemas import (
    ExecutionQuality,
    ExecutionQualityRow,
    LatencyOut,
    OrderOut,
    StrategyStats,
    TradeDetail,
    TradeOut,
    TradeStatsSummary,
)

OVERALL = "*"


@dataclass(frozen=True)
class TradeQuery:
    """Which trades a page lists, and in which time order."""

    symbol: str | None = None
    side: str | None = None
    strategy: str | None = None
    window: TimeWindow | None = None
    newest_first: bool = True

    @property
    def cursor_scope(self) -> str:
        """What a cursor is signed for: it continues only the listing that issued it."""
        order = "-ts" if self.newest_first else "ts"
        return f"trading.trades:{order}:{self.symbol}:{self.side}:{self.strategy}:{self.window}"

    def filters(self) -> repo.TradeFilters:
        """The repository's filters for this query."""
        return repo.TradeFilters(
            symbol=self.symbol,
            side=self.side,
            strategy=self.strategy,
            start=self.window.start if self.window else None,
            end=self.window.end if self.window else None,
        )


async def trade_page(
    session: AsyncSession,
    tenant_id: int,
    query: TradeQuery,
    page: PageParams,
    cursors: CursorCodec,
) -> Page[TradeOut]:
    """One page of trades; the first page counts them all, deeper pages follow a cursor."""
    scope = query.cursor_scope
    after = cursors.decode(scope, page.cursor) if page.cursor else None
    rows, total = await repo.list_trades(
        session,
        tenant_id,
        query.filters(),
        newest_first=query.newest_first,
        limit=page.limit + 1,
        offset=page.offset,
        after=after,
        with_total=page.cursor is None,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = cursors.encode(scope, cursor_values(rows[-1])) if more else None
    items = [trade_out(fill) for fill in rows]
    return page_of(items, page, total=total, next_cursor=next_cursor)


def trade_out(fill: Fill | FillFact) -> TradeOut:
    """A fill as clients see it, whether stored or just committed by an ingest batch.

    A committed batch's fill carries no liquidity flag, so live messages leave it empty.
    """
    return TradeOut(
        id=fill.fill_id,
        order_id=fill.order_id,
        strategy=fill.strategy,
        symbol=fill.symbol,
        side=fill.side,
        qty=fill.qty,
        price=fill.price,
        notional=q10(fill.qty * fill.price),
        fee=fill.fee,
        liquidity=fill.liquidity if isinstance(fill, Fill) else None,
        ts=fill.ts,
        realized_pnl=fill.realized_pnl,
        slippage_bps=fill.slippage_bps,
        latency_ms=fill.latency_ms,
    )


def order_out(order: Order) -> OrderOut:
    """A stored order with its derived figures (average fill price, fill rate, slippage)."""
    avg_price = q10(order.filled_notional / order.filled_qty) if order.filled_qty > 0 else None
    slippage = None
    if avg_price is not None and order.arrival_mid is not None:
        slippage = metrics.arrival_slippage_bps(
            order.side, float(avg_price), float(order.arrival_mid)
        )
    return OrderOut(
        order_id=order.order_id,
        strategy=order.strategy,
        symbol=order.symbol,
        side=order.side,
        qty=order.qty,
        limit_price=order.limit_price,
        decision_price=order.decision_price,
        arrival_mid=order.arrival_mid,
        status=order.status,
        submitted_at=order.submitted_at,
        acknowledged_at=order.acknowledged_at,
        first_fill_at=order.first_fill_at,
        closed_at=order.closed_at,
        filled_qty=order.filled_qty,
        avg_fill_price=avg_price,
        fees=order.fees,
        fill_rate=metrics.fill_rate(order.filled_qty, order.qty),
        arrival_slippage_bps=slippage,
        reason=order.reason,
    )


async def trade_detail(session: AsyncSession, tenant_id: int, fill_id: str) -> TradeDetail:
    """One trade with its order and the order's other fills; 404 when it does not exist."""
    fill = await repo.fill_by_id(session, tenant_id, fill_id)
    order = await repo.order_by_ref(session, tenant_id, fill.order_ref) if fill else None
    if fill is None or order is None:
        raise NotFound(f"trade {fill_id!r} does not exist")
    siblings = await repo.fills_of_order(session, tenant_id, order.id)
    return TradeDetail(
        **trade_out(fill).model_dump(),
        order=order_out(order),
        order_fills=[trade_out(sibling) for sibling in siblings],
    )


def session_days(window: TimeWindow, zone: ZoneInfo) -> tuple[date, date, TimeWindow]:
    """The session days a window touches, and the window widened to exactly those days."""
    first = window.start.astimezone(zone).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(zone).date()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return first, last, TimeWindow(start, end)


@dataclass(frozen=True)
class RollupQuery:
    """What a daily-rollup report (statistics, execution quality) covers.

    The session days ``window`` touches in ``zone``, optionally one strategy and one symbol.
    """

    window: TimeWindow
    zone: ZoneInfo
    strategy: str | None = None
    symbol: str | None = None


@dataclass
class _StatsAccumulator:
    trades: int = 0
    volume: Decimal = ZERO
    notional: Decimal = ZERO
    fees: Decimal = ZERO
    realized: Decimal = ZERO
    closing: int = 0
    wins: int = 0
    gross_profit: Decimal = ZERO
    gross_loss: Decimal = ZERO
    daily: dict[date, Decimal] = field(default_factory=dict)

    def add(self, row: StrategyDay) -> None:
        self.trades += row.fills
        self.volume += row.volume
        self.notional += row.notional
        self.fees += row.fees
        self.realized += row.realized_pnl
        self.closing += row.closing_trades
        self.wins += row.winning_trades
        self.gross_profit += row.gross_profit
        self.gross_loss += row.gross_loss
        self.daily[row.day] = self.daily.get(row.day, ZERO) + row.realized_pnl

    def stats(self, name: str, pnl_steps: Sequence[Decimal]) -> StrategyStats:
        series = [float(self.daily[day]) for day in sorted(self.daily)]
        return StrategyStats(
            strategy=name,
            trades=self.trades,
            volume=self.volume,
            notional=self.notional,
            fees=self.fees,
            realized_pnl=self.realized,
            closing_trades=self.closing,
            winning_trades=self.wins,
            win_rate=metrics.win_rate(self.wins, self.closing),
            gross_profit=self.gross_profit,
            gross_loss=self.gross_loss,
            profit_factor=metrics.profit_factor(self.gross_profit, self.gross_loss),
            max_drawdown=metrics.max_drawdown(pnl_steps),
            sharpe=metrics.sharpe_ratio(series),
            days=len(self.daily),
        )


async def trade_stats(
    session: AsyncSession, tenant_id: int, query: RollupQuery
) -> TradeStatsSummary:
    """Trade statistics over the session days ``window`` touches, overall and by strategy."""
    first, last, days = session_days(query.window, query.zone)
    rows = await repo.strategy_day_rows(
        session, tenant_id, first, last, query.strategy, query.symbol
    )
    by_strategy: dict[str, _StatsAccumulator] = defaultdict(_StatsAccumulator)
    overall = _StatsAccumulator()
    for row in rows:
        by_strategy[row.strategy].add(row)
        overall.add(row)
    steps = await repo.closing_pnl(
        session, tenant_id, days.start, days.end, query.strategy, query.symbol
    )
    per_strategy: dict[str, list[Decimal]] = defaultdict(list)
    for name, pnl in steps:
        per_strategy[name].append(Decimal(pnl))
    return TradeStatsSummary(
        window=days.out(),
        overall=overall.stats(OVERALL, [Decimal(pnl) for _, pnl in steps]),
        by_strategy=[
            by_strategy[name].stats(name, per_strategy.get(name, []))
            for name in sorted(by_strategy)
        ],
    )


@dataclass
class _QualityAccumulator:
    orders: int = 0
    ordered_qty: Decimal = ZERO
    filled_qty: Decimal = ZERO
    filled_notional: Decimal = ZERO
    fills: int = 0
    filled_orders: int = 0
    partial_orders: int = 0
    cancelled: int = 0
    rejected: int = 0
    slippage_qty: float = 0.0
    slippage_bps_qty: float = 0.0
    latency_count: int = 0
    latency_sum: float = 0.0
    latency_max: float = 0.0
    buckets: dict[int, int] = field(default_factory=dict)

    def add(self, row: ExecutionDay) -> None:
        self.orders += row.orders
        self.ordered_qty += row.ordered_qty
        self.filled_qty += row.filled_qty
        self.filled_notional += row.filled_notional
        self.fills += row.fills
        self.filled_orders += row.filled_orders
        self.partial_orders += row.partial_orders
        self.cancelled += row.cancelled_orders
        self.rejected += row.rejected_orders
        self.slippage_qty += row.slippage_qty
        self.slippage_bps_qty += row.slippage_bps_qty
        self.latency_count += row.latency_count
        self.latency_sum += row.latency_sum_ms
        self.latency_max = max(self.latency_max, row.latency_max_ms)

    def add_bucket(self, bucket: int, count: int) -> None:
        self.buckets[bucket] = self.buckets.get(bucket, 0) + count

    def row(self, strategy: str | None, symbol: str | None) -> ExecutionQualityRow:
        count = self.latency_count
        top = self.latency_max if count else 0.0

        def quantile(q: float) -> float | None:
            return metrics.histogram_percentile(self.buckets, q, top)

        return ExecutionQualityRow(
            strategy=strategy,
            symbol=symbol,
            orders=self.orders,
            ordered_qty=self.ordered_qty,
            filled_qty=self.filled_qty,
            fill_rate=metrics.fill_rate(self.filled_qty, self.ordered_qty),
            fills=self.fills,
            filled_orders=self.filled_orders,
            partial_orders=self.partial_orders,
            cancelled_orders=self.cancelled,
            rejected_orders=self.rejected,
            reject_rate=self.rejected / self.orders if self.orders else None,
            avg_fill_price=(
                q10(self.filled_notional / self.filled_qty) if self.filled_qty > 0 else None
            ),
            slippage_bps=metrics.weighted_slippage_bps(self.slippage_bps_qty, self.slippage_qty),
            latency_ms=LatencyOut(
                count=count,
                mean=self.latency_sum / count if count else None,
                max=self.latency_max if count else None,
                p50=quantile(0.5),
                p90=quantile(0.9),
                p99=quantile(0.99),
            ),
        )


def _groups(strategy: str, symbol: str) -> Iterable[tuple[str, str | None, str | None]]:
    yield "overall", None, None
    yield "strategy", strategy, None
    yield "symbol", None, symbol
    yield "pair", strategy, symbol


async def execution_quality(
    session: AsyncSession, tenant_id: int, query: RollupQuery
) -> ExecutionQuality:
    """Fill rate, rejects, slippage and latency over whole session days, by group."""
    first, last, days = session_days(query.window, query.zone)
    rows, buckets = await repo.execution_rows(
        session, tenant_id, first, last, query.strategy, query.symbol
    )
    groups: dict[tuple[str, str | None, str | None], _QualityAccumulator] = defaultdict(
        _QualityAccumulator
    )
    for row in rows:
        for key in _groups(row.strategy, row.symbol):
            groups[key].add(row)
    for bucket_row in buckets:
        for key in _groups(bucket_row.strategy, bucket_row.symbol):
            groups[key].add_bucket(int(bucket_row.bucket), int(bucket_row.count))

    def rows_of(kind: str) -> list[ExecutionQualityRow]:
        keys = sorted(
            (key for key in groups if key[0] == kind), key=lambda k: (k[1] or "", k[2] or "")
        )
        return [groups[key].row(key[1], key[2]) for key in keys]

    overall = groups.get(("overall", None, None), _QualityAccumulator())
    return ExecutionQuality(
        window=days.out(),
        overall=overall.row(None, None),
        by_strategy=rows_of("strategy"),
        by_symbol=rows_of("symbol"),
        by_strategy_symbol=rows_of("pair"),
    )


def cursor_values(fill: Fill) -> list[Any]:
    """The keyset position of ``fill`` in (ts, id) order."""
    return [fill.ts, fill.id]
