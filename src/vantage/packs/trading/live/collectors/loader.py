"""Rebuild a tenant's collectors from the database: what a new lease holder does first."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.bars import MID, SPREAD, TRADE
from vantage.packs.trading.domain.ledger import ZERO, Book
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.execution import SessionExecution
from vantage.packs.trading.live.collectors.snapshot import LogSnapshot
from vantage.packs.trading.live.collectors.strategy import DayFlows, TradeStats
from vantage.packs.trading.live.collectors.system import ComponentState, parse_details
from vantage.packs.trading.repository import live as repo
from vantage.packs.trading.settings import TradingSettings


def session_start(collectors: TenantCollectors, now: datetime) -> datetime:
    """The UTC instant the current session day began."""
    today = collectors.day_of(now)
    return datetime.combine(today, time.min, tzinfo=collectors.zone).astimezone(UTC)


async def load_tenant(
    session: AsyncSession, tenant_id: int, settings: TradingSettings, now: datetime
) -> TenantCollectors:
    """A tenant's collectors, loaded from the database as of ``now``."""
    collectors = TenantCollectors(tenant_id, settings)
    collectors.roll_to(collectors.day_of(now))
    start = session_start(collectors, now)
    await _load_market(session, collectors, start)
    await _load_strategies(session, collectors, now)
    await _load_execution(session, collectors, now, settings.latency_window)
    await _load_system(session, collectors, settings.recent_logs)
    return collectors


async def _load_market(
    session: AsyncSession, collectors: TenantCollectors, start: datetime
) -> None:
    market = collectors.market
    today = market_day = collectors.day_of(start)
    latest: dict[str, dict[str, tuple[float, datetime]]] = defaultdict(dict)
    for row in await repo.latest_bars(session, collectors.tenant_id):
        latest[row.symbol][row.metric] = (row.last, row.last_ts)
    for symbol, values in latest.items():
        state = market.state(symbol)
        state.session_day = market_day
        if TRADE in values:
            state.last, state.trade_ts = values[TRADE]
        if MID in values and SPREAD in values:
            mid, quoted_at = values[MID]
            half = values[SPREAD][0] * mid / metrics.BPS / 2
            state.bid, state.ask, state.quote_ts = mid - half, mid + half, quoted_at
    for symbol, close in (await repo.previous_closes(session, collectors.tenant_id, start)).items():
        market.state(symbol).previous_close = close
    for bar in await repo.session_trade_bars(session, collectors.tenant_id, start):
        state = market.state(bar.symbol)
        state.session_day = today
        if state.open is None:
            state.open = bar.first
        state.high = bar.max if state.high is None else max(state.high, bar.max)
        state.low = bar.min if state.low is None else min(state.low, bar.min)
        state.volume += bar.sum_q
        state.sum_pq += bar.sum_pq
        state.trades += bar.count


async def _load_strategies(
    session: AsyncSession, collectors: TenantCollectors, now: datetime
) -> None:
    strategies = collectors.strategy
    today = collectors.day_of(now)
    for position in await repo.positions(session, collectors.tenant_id):
        state = strategies.state(position.strategy)
        state.books[position.symbol] = Book(
            position.qty, position.avg_cost, position.realized_pnl, position.fees
        )
        state.fees += position.fees
    totals: dict[str, TradeStats] = defaultdict(TradeStats)
    for row in await repo.strategy_days(session, collectors.tenant_id):
        state = strategies.state(row.strategy)
        state.daily_realized[row.day] = state.daily_realized.get(row.day, ZERO) + row.realized_pnl
        stats = totals[row.strategy]
        stats.closing_trades += row.closing_trades
        stats.winning_trades += row.winning_trades
        stats.gross_profit += row.gross_profit
        stats.gross_loss += row.gross_loss
        if row.day == today:
            state.today[row.symbol] = DayFlows(
                net_qty=row.net_qty, net_cash=row.net_cash, fees=row.fees, realized=row.realized_pnl
            )
    curve: dict[str, TradeStats] = defaultdict(TradeStats)
    for strategy, pnl in await repo.closing_pnl_series(session, collectors.tenant_id):
        curve[strategy].add(Decimal(pnl))
    for name, stats in totals.items():
        drawn = curve.get(name, TradeStats())
        stats.cumulative, stats.peak = drawn.cumulative, drawn.peak
        stats.max_drawdown = drawn.max_drawdown
        strategies.state(name).stats = stats
    for reported in await repo.strategy_states(session, collectors.tenant_id):
        state = strategies.state(reported.strategy)
        state.status = reported.status
        state.signals = json.loads(reported.signals)
        state.reported_marks = json.loads(reported.marks)
        state.reported_positions = {
            symbol: Decimal(qty) for symbol, qty in json.loads(reported.positions).items()
        }
        state.updated_at = reported.reported_at


async def _load_execution(
    session: AsyncSession, collectors: TenantCollectors, now: datetime, window: int
) -> None:
    execution = collectors.execution
    totals = await repo.execution_day_totals(session, collectors.tenant_id, collectors.day_of(now))
    execution.state.session = SessionExecution(
        submitted=int(totals.orders),
        filled=int(totals.filled_orders),
        cancelled=int(totals.cancelled_orders),
        rejected=int(totals.rejected_orders),
        fills=int(totals.fills),
        ordered_qty=Decimal(totals.ordered_qty),
        filled_qty=Decimal(totals.filled_qty),
        slippage_qty=float(totals.slippage_qty),
        slippage_bps_qty=float(totals.slippage_bps_qty),
    )
    counts = await repo.open_order_counts(session, collectors.tenant_id)
    execution.state.open = sum(counts.values())
    execution.state.partially_filled = counts.get("partially_filled", 0)
    execution.latencies.extend(await repo.recent_latencies(session, collectors.tenant_id, window))


async def _load_system(session: AsyncSession, collectors: TenantCollectors, limit: int) -> None:
    system = collectors.system
    for row in await repo.components(session, collectors.tenant_id):
        system.components[row.name] = ComponentState(
            row.name,
            row.reported_status,
            row.last_heartbeat_at,
            int(row.heartbeats),
            row.interval_seconds,
            parse_details(row.details),
        )
    for line in await repo.recent_logs(session, collectors.tenant_id, limit):
        system.logs.append(
            LogSnapshot(
                ts=line.ts, level=line.level, component=line.component, message=line.message
            )
        )
