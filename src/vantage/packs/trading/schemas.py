"""Request and response models of the trading routes (money is a decimal string)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vantage.core.decimals import PlainDecimal
from vantage.core.instants import Instant
from vantage.core.windows import WindowOut
from vantage.packs.trading.ingest.events import Symbol
from vantage.packs.trading.ingest.unit_of_work import IngestOutcome
from vantage.packs.trading.live.collectors.base import CollectorStatus
from vantage.packs.trading.live.collectors.snapshot import (
    AlertSnapshot,
    ComponentSnapshot,
    HostSnapshot,
    SymbolSnapshot,
)

# --- ingest ---------------------------------------------------------------------------------


class EventErrorOut(BaseModel):
    index: int = Field(description="Position of the refused event in the batch")
    id: str | None = Field(description="The refused event's id, when it had one")
    loc: list[str | int] = Field(description="The offending field inside the event")
    message: str
    type: str


class IngestResponse(BaseModel):
    accepted: int = Field(description="New events stored")
    duplicates: int = Field(description="Events whose id was already stored (ignored)")
    rejected: int = Field(description="Events refused; see errors")
    errors: list[EventErrorOut]


def ingest_response(outcome: IngestOutcome) -> IngestResponse:
    """What a client is told about its batch."""
    return IngestResponse(
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        rejected=len(outcome.errors),
        errors=[EventErrorOut(**error.as_dict()) for error in outcome.errors],
    )


# --- trades ---------------------------------------------------------------------------------


class TradeOut(BaseModel):
    id: str = Field(description="The fill id")
    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: PlainDecimal
    price: PlainDecimal
    notional: PlainDecimal
    fee: PlainDecimal
    liquidity: str | None
    ts: datetime
    realized_pnl: PlainDecimal | None = Field(
        description="Net P&L this fill realized; null if opening"
    )
    slippage_bps: float | None = Field(description="side * (price - arrival mid) / mid * 1e4")
    latency_ms: float | None = Field(description="Submit to this fill, on an order's first fill")


class OrderOut(BaseModel):
    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: PlainDecimal
    limit_price: PlainDecimal | None
    decision_price: PlainDecimal | None
    arrival_mid: PlainDecimal | None
    status: str
    submitted_at: datetime
    acknowledged_at: datetime | None
    first_fill_at: datetime | None
    closed_at: datetime | None
    filled_qty: PlainDecimal
    avg_fill_price: PlainDecimal | None
    fees: PlainDecimal
    fill_rate: float | None
    arrival_slippage_bps: float | None
    reason: str | None


class TradeDetail(TradeOut):
    order: OrderOut
    order_fills: list[TradeOut] = Field(description="Every fill of the same order, in time order")


class StrategyStats(BaseModel):
    strategy: str
    trades: int = Field(description="Fills")
    volume: PlainDecimal
    notional: PlainDecimal
    fees: PlainDecimal
    realized_pnl: PlainDecimal
    closing_trades: int
    winning_trades: int
    win_rate: float | None
    gross_profit: PlainDecimal
    gross_loss: PlainDecimal
    profit_factor: float | None
    max_drawdown: PlainDecimal
    sharpe: float | None
    days: int = Field(description="Session days with fills in the window")


class TradeStatsSummary(BaseModel):
    window: WindowOut
    overall: StrategyStats
    by_strategy: list[StrategyStats]


class LatencyOut(BaseModel):
    count: int
    mean: float | None
    max: float | None
    p50: float | None
    p90: float | None
    p99: float | None


class ExecutionQualityRow(BaseModel):
    strategy: str | None
    symbol: str | None
    orders: int
    ordered_qty: PlainDecimal
    filled_qty: PlainDecimal
    fill_rate: float | None
    fills: int
    filled_orders: int
    partial_orders: int
    cancelled_orders: int
    rejected_orders: int
    reject_rate: float | None
    avg_fill_price: PlainDecimal | None
    slippage_bps: float | None
    latency_ms: LatencyOut


class ExecutionQuality(BaseModel):
    window: WindowOut
    overall: ExecutionQualityRow
    by_strategy: list[ExecutionQualityRow]
    by_symbol: list[ExecutionQualityRow]
    by_strategy_symbol: list[ExecutionQualityRow]


# --- history --------------------------------------------------------------------------------

HistoryField = Literal[
    "open",
    "high",
    "low",
    "close",
    "vwap",
    "volume",
    "trades",
    "mid",
    "mid_high",
    "mid_low",
    "spread_bps",
    "spread_bps_max",
    "quotes",
    "fill_vwap",
    "fill_qty",
    "fills",
]
DEFAULT_HISTORY_FIELDS: tuple[HistoryField, ...] = (
    "open",
    "high",
    "low",
    "close",
    "vwap",
    "volume",
)
Interval = Literal["1s", "5s", "15s", "1m", "5m", "15m", "1h", "4h", "1d"]


class HistoryRequest(BaseModel):
    """Bars of some symbols over a range, at an interval (answered from the right resolution)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    symbols: list[Symbol] = Field(min_length=1, max_length=50)
    fields: list[HistoryField] = Field(
        default_factory=lambda: list(DEFAULT_HISTORY_FIELDS),
        min_length=1,
        max_length=16,
    )
    start: Instant = Field(alias="from")
    end: Instant | None = Field(default=None, alias="to", description="Exclusive; now")
    interval: Interval = "1m"

    @field_validator("symbols")
    @classmethod
    def _unique_symbols(cls, symbols: list[str]) -> list[str]:
        return list(dict.fromkeys(symbols))


class HistoryPoint(BaseModel):
    ts: datetime
    values: dict[str, float | int | None]


class HistorySeries(BaseModel):
    symbol: str
    points: list[HistoryPoint]


class HistoryResponse(BaseModel):
    window: WindowOut
    interval: str
    resolution: str = Field(description="The stored resolution the bars were merged from")
    fields: list[str]
    series: list[HistorySeries]


# --- metrics --------------------------------------------------------------------------------


class SymbolsResponse(BaseModel):
    data_as_of: datetime | None
    symbols: list[SymbolSnapshot]


class MetricsSummary(BaseModel):
    data_as_of: datetime | None
    session_day: str | None
    symbols: int
    strategies: int
    realized_pnl: PlainDecimal
    unrealized_pnl: PlainDecimal
    daily_pnl: PlainDecimal
    orders_submitted: int
    open_orders: int
    fill_rate: float | None
    slippage_bps: float | None
    latency_p99_ms: float | None
    system_status: str
    active_alerts: int
    events_per_second: float


# --- system ---------------------------------------------------------------------------------


class SystemHealth(BaseModel):
    status: str = Field(description="ok, degraded or down: the worst component or active alert")
    checked_at: datetime
    components: list[ComponentSnapshot]
    active_alerts: list[AlertSnapshot]
    collectors_running: bool = Field(description="Whether a process holds the collectors")


class SystemPerformance(BaseModel):
    host: HostSnapshot
    events_per_second: float
    events_total: int
    snapshot_sequence: int | None
    snapshot_hz: float
    data_as_of: datetime | None


class ComponentsResponse(BaseModel):
    checked_at: datetime
    components: list[ComponentSnapshot]
    collectors: list[CollectorStatus] = Field(
        default_factory=list, description="The collectors: status, circuit breaker, errors"
    )


class LogOut(BaseModel):
    id: int
    ts: datetime
    level: str
    component: str
    message: str
    fields: dict[str, object]


class LogsResponse(BaseModel):
    data: list[LogOut]


class SystemStats(BaseModel):
    window: WindowOut
    ticks: int
    trade_prints: int
    orders: int
    fills: int
    logs_by_level: dict[str, int]
    components_by_status: dict[str, int]
    alerts_by_status: dict[str, int]
    symbols: int
    strategies: int


class AlertsResponse(BaseModel):
    data: list[AlertSnapshot]


class AlertAck(BaseModel):
    alert: AlertSnapshot
    changed: bool = Field(description="False when it had already been acknowledged")
