"""The snapshot of all collectors: what ``trading.metrics`` carries and ``/metrics/current`` serves.

Prices and market statistics are JSON numbers; money (P&L, fees) is a decimal string.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from vantage.packs.trading.live.collectors.base import CollectorStatus


class SymbolSnapshot(BaseModel):
    symbol: str
    last: float | None
    bid: float | None
    ask: float | None
    mid: float | None
    spread_bps: float | None
    vwap: float | None = Field(description="Session VWAP of trade prints: sum(p*q) / sum(q)")
    volume: float
    trades: int
    open: float | None
    high: float | None
    low: float | None
    previous_close: float | None
    updated_at: datetime | None


class PositionSnapshot(BaseModel):
    symbol: str
    qty: Decimal
    avg_cost: Decimal
    mark: float | None
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    reported_qty: Decimal | None = Field(
        default=None, description="What the strategy itself last reported, when it did"
    )


class StrategySnapshot(BaseModel):
    strategy: str
    status: str | None
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    daily_pnl: Decimal
    daily_realized_pnl: Decimal
    fees: Decimal
    positions: list[PositionSnapshot]
    signals: dict[str, float]
    closing_trades: int
    win_rate: float | None
    profit_factor: float | None
    max_drawdown: Decimal
    sharpe: float | None
    updated_at: datetime | None


class LatencySnapshot(BaseModel):
    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


class OrderCounts(BaseModel):
    submitted: int = 0
    open: int = 0
    partially_filled: int = 0
    filled: int = 0
    cancelled: int = 0
    rejected: int = 0


class ExecutionSnapshot(BaseModel):
    orders: OrderCounts
    fills: int
    ordered_qty: Decimal
    filled_qty: Decimal
    fill_rate: float | None
    slippage_bps: float | None
    latency_ms: LatencySnapshot


class ComponentSnapshot(BaseModel):
    name: str
    status: str = Field(description="ok, degraded (also when heartbeats went stale) or down")
    reported_status: str
    stale: bool
    last_heartbeat_at: datetime
    seconds_since_heartbeat: float
    heartbeats: int
    details: dict[str, object]


class AlertSnapshot(BaseModel):
    id: int
    rule: str
    subject: str
    severity: str
    status: str
    message: str
    value: float | None
    threshold: float | None
    raised_at: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class LogSnapshot(BaseModel):
    ts: datetime
    level: str
    component: str
    message: str


class HostSnapshot(BaseModel):
    cpu_percent: float | None
    memory_percent: float | None
    memory_used_bytes: int | None
    disk_percent: float | None
    load_average: list[float] | None
    sampled_at: datetime | None


class SystemSnapshot(BaseModel):
    status: str = Field(description="ok, degraded or down: the worst component or alert")
    host: HostSnapshot
    components: list[ComponentSnapshot]
    alerts: list[AlertSnapshot]
    logs: list[LogSnapshot]
    events_per_second: float
    events_total: int


class MetricsSnapshot(BaseModel):
    """Everything the dashboard shows, at one instant."""

    ts: datetime
    sequence: int
    session_day: str
    market: list[SymbolSnapshot]
    strategies: list[StrategySnapshot]
    execution: ExecutionSnapshot
    system: SystemSnapshot
    collectors: list[CollectorStatus] = Field(
        default_factory=list, description="Each collector's state, breaker and error counters"
    )
