"""Strategy collector: positions, realized / unrealized / daily P&L, signals and trade statistics.

Daily P&L is mark-to-market: for each symbol, position now at today's mark, minus the position
held at the session start at the previous close, plus today's net cash flow, minus today's fees.
With no carried position it equals today's realized P&L plus the open position's unrealized P&L.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.ledger import ZERO, Book, q10
from vantage.packs.trading.ingest.changes import FillFact
from vantage.packs.trading.ingest.events import StrategyUpdate
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.snapshot import PositionSnapshot, StrategySnapshot

PriceOf = Callable[[str], float | None]


@dataclass(slots=True)
class DayFlows:
    """One symbol's flows in the current session."""

    net_qty: Decimal = ZERO
    net_cash: Decimal = ZERO
    fees: Decimal = ZERO
    realized: Decimal = ZERO


@dataclass(slots=True)
class TradeStats:
    """Closing-trade statistics: mergeable totals and the closed-trade equity curve."""

    closing_trades: int = 0
    winning_trades: int = 0
    gross_profit: Decimal = ZERO
    gross_loss: Decimal = ZERO
    cumulative: Decimal = ZERO
    peak: Decimal = ZERO
    max_drawdown: Decimal = ZERO

    def add(self, pnl: Decimal) -> None:
        self.closing_trades += 1
        if pnl > 0:
            self.winning_trades += 1
            self.gross_profit += pnl
        elif pnl < 0:
            self.gross_loss -= pnl
        self.cumulative += pnl
        self.peak = max(self.peak, self.cumulative)
        self.max_drawdown = max(self.max_drawdown, self.peak - self.cumulative)


@dataclass
class StrategyState:
    name: str
    books: dict[str, Book] = field(default_factory=dict)
    today: dict[str, DayFlows] = field(default_factory=dict)
    stats: TradeStats = field(default_factory=TradeStats)
    daily_realized: dict[date, Decimal] = field(default_factory=dict)
    fees: Decimal = ZERO
    status: str | None = None
    signals: dict[str, float] = field(default_factory=dict)
    reported_positions: dict[str, Decimal] = field(default_factory=dict)
    reported_marks: dict[str, float] = field(default_factory=dict)
    updated_at: datetime | None = None


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


class StrategyCollector(Collector):
    name = "strategy"

    def __init__(self, day_of: Callable[[datetime], date]) -> None:
        super().__init__()
        self.day_of = day_of
        self.strategies: dict[str, StrategyState] = {}
        self.session_day: date | None = None

    def state(self, name: str) -> StrategyState:
        held = self.strategies.get(name)
        if held is None:
            held = self.strategies[name] = StrategyState(name)
        return held

    def roll_to(self, today: date) -> None:
        if self.session_day != today:
            self.session_day = today
            for state in self.strategies.values():
                state.today.clear()

    def apply_fills(self, fills: Iterable[FillFact], today: date) -> None:
        self.roll_to(today)
        for fill in fills:
            state = self.state(fill.strategy)
            state.books[fill.symbol] = Book(
                fill.position_qty, fill.position_avg_cost, fill.position_realized
            )
            state.fees += fill.fee
            day = self.day_of(fill.ts)
            if fill.realized_pnl is not None:
                state.stats.add(fill.realized_pnl)
                state.daily_realized[day] = state.daily_realized.get(day, ZERO) + fill.realized_pnl
            if day != today:
                continue
            flows = state.today.setdefault(fill.symbol, DayFlows())
            notional = q10(fill.qty * fill.price)
            sign = metrics.side_sign(fill.side)
            flows.net_qty += sign * fill.qty
            flows.net_cash -= sign * notional
            flows.fees += fill.fee
            if fill.realized_pnl is not None:
                flows.realized += fill.realized_pnl

    def apply_updates(self, updates: Iterable[StrategyUpdate]) -> None:
        for update in updates:
            state = self.state(update.strategy)
            if state.updated_at is not None and update.ts < state.updated_at:
                continue
            state.updated_at = update.ts
            if update.status is not None:
                state.status = update.status
            state.signals = dict(update.signals)
            state.reported_positions = dict(update.positions)
            state.reported_marks = dict(update.marks)

    def snapshot(self, mark_of: PriceOf, previous_close_of: PriceOf) -> list[StrategySnapshot]:
        return [
            self._snapshot(self.strategies[name], mark_of, previous_close_of)
            for name in sorted(self.strategies)
        ]

    def _snapshot(
        self, state: StrategyState, mark_of: PriceOf, previous_close_of: PriceOf
    ) -> StrategySnapshot:
        positions: list[PositionSnapshot] = []
        unrealized = realized = daily = ZERO
        for symbol in sorted(set(state.books) | set(state.today) | set(state.reported_positions)):
            book = state.books.get(symbol, Book())
            mark = mark_of(symbol)
            if mark is None:
                mark = state.reported_marks.get(symbol)
            mark_value = _decimal(mark) if mark is not None else book.avg_cost
            open_pnl = book.unrealized(mark_value) if book.qty else ZERO
            unrealized += open_pnl
            realized += book.realized_pnl
            daily += self._daily(
                book, state.today.get(symbol), mark_value, previous_close_of(symbol)
            )
            positions.append(
                PositionSnapshot(
                    symbol=symbol,
                    qty=book.qty,
                    avg_cost=book.avg_cost,
                    mark=mark,
                    unrealized_pnl=open_pnl,
                    realized_pnl=book.realized_pnl,
                    reported_qty=state.reported_positions.get(symbol),
                )
            )
        stats = state.stats
        daily_series = [float(state.daily_realized[d]) for d in sorted(state.daily_realized)]
        return StrategySnapshot(
            strategy=state.name,
            status=state.status,
            realized_pnl=realized,
            unrealized_pnl=unrealized,
            daily_pnl=q10(daily),
            daily_realized_pnl=sum((f.realized for f in state.today.values()), ZERO),
            fees=state.fees,
            positions=positions,
            signals=state.signals,
            closing_trades=stats.closing_trades,
            win_rate=metrics.win_rate(stats.winning_trades, stats.closing_trades),
            profit_factor=metrics.profit_factor(stats.gross_profit, stats.gross_loss),
            max_drawdown=stats.max_drawdown,
            sharpe=metrics.sharpe_ratio(daily_series),
            updated_at=state.updated_at,
        )

    @staticmethod
    def _daily(
        book: Book, flows: DayFlows | None, mark: Decimal, previous_close: float | None
    ) -> Decimal:
        flows = flows or DayFlows()
        start_qty = book.qty - flows.net_qty
        # Without a previous close the carried position is valued at today's mark on both ends.
        start_mark = _decimal(previous_close) if previous_close is not None else mark
        return book.qty * mark - start_qty * start_mark + flows.net_cash - flows.fees
