"""Plain records passed between the ingest service and its repository (no SQL, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal(0)
CLOSED_STATUSES = frozenset({"filled", "cancelled", "rejected"})


@dataclass(slots=True)
class OrderRecord:
    """An order row, mutated in memory while a batch is applied."""

    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: Decimal
    status: str
    submitted_at: datetime
    limit_price: Decimal | None = None
    decision_price: Decimal | None = None
    arrival_mid: Decimal | None = None
    acknowledged_at: datetime | None = None
    first_fill_at: datetime | None = None
    closed_at: datetime | None = None
    filled_qty: Decimal = ZERO
    filled_notional: Decimal = ZERO
    fees: Decimal = ZERO
    reason: str | None = None
    id: int | None = None
    dirty: bool = field(default=False, compare=False)

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def remaining_qty(self) -> Decimal:
        return self.qty - self.filled_qty

    @property
    def avg_fill_price(self) -> Decimal | None:
        return self.filled_notional / self.filled_qty if self.filled_qty > 0 else None


@dataclass(slots=True)
class FillRecord:
    """A fill row as written, with what it realized and cost."""

    fill_id: str
    order_ref: int
    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    liquidity: str | None
    ts: datetime
    realized_pnl: Decimal | None
    slippage_bps: float | None
    latency_ms: float | None


@dataclass(slots=True)
class StrategyDayDelta:
    """Additive changes to one (strategy, day, symbol) row."""

    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    fills: int = 0
    volume: Decimal = ZERO
    notional: Decimal = ZERO
    net_qty: Decimal = ZERO
    net_cash: Decimal = ZERO
    closing_trades: int = 0
    winning_trades: int = 0
    gross_profit: Decimal = ZERO
    gross_loss: Decimal = ZERO


@dataclass(slots=True)
class ExecutionDayDelta:
    """Additive changes to one (day, strategy, symbol) execution row."""

    orders: int = 0
    ordered_qty: Decimal = ZERO
    filled_qty: Decimal = ZERO
    filled_notional: Decimal = ZERO
    fills: int = 0
    filled_orders: int = 0
    partial_orders: int = 0
    cancelled_orders: int = 0
    rejected_orders: int = 0
    slippage_qty: float = 0.0
    slippage_bps_qty: float = 0.0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    latency_max_ms: float = 0.0


StrategyDayKey = tuple[str, date, str]  # (strategy, day, symbol)
ExecutionDayKey = tuple[date, str, str]  # (day, strategy, symbol)
LatencyKey = tuple[date, str, str, int]  # (day, strategy, symbol, bucket)
