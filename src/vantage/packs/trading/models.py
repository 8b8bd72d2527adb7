"""Tables of the trading pack.

The hot tables (raw events, bars) declare ``tenant_id`` as the leading primary-key column instead
of using ``TenantMixin``: the primary key already indexes it, and every extra index costs ingest
throughput.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import Base, TenantMixin, UTCDateTime

# Quantities and money: 28 digits, 10 after the point (crypto sizes, FX prices, cents of P&L).
Amount = Numeric(28, 10)
ZERO = Decimal(0)


def _tenant_key() -> Mapped[int]:
    return mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, nullable=False
    )


class RawEvent(Base):
    """The id of every accepted event: the idempotency record, kept ``raw_retention_hours``.

    Only the id is kept: the content lives on in the domain tables and the rollups.
    """

    __tablename__ = "trading_events"
    __table_args__ = (Index("ix_trading_events_received_at", "received_at"),)

    tenant_id: Mapped[int] = _tenant_key()
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Bar(Base):
    """A mergeable bar of one metric of one symbol at 1 s, 60 s or 3600 s resolution."""

    __tablename__ = "trading_bars"
    __table_args__ = (Index("ix_trading_bars_resolution_bucket", "resolution", "bucket_start"),)

    tenant_id: Mapped[int] = _tenant_key()
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sum: Mapped[float] = mapped_column(Float, nullable=False)
    min: Mapped[float] = mapped_column(Float, nullable=False)
    max: Mapped[float] = mapped_column(Float, nullable=False)
    first: Mapped[float] = mapped_column(Float, nullable=False)
    first_ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last: Mapped[float] = mapped_column(Float, nullable=False)
    last_ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    sum_pq: Mapped[float] = mapped_column(Float, nullable=False)
    sum_q: Mapped[float] = mapped_column(Float, nullable=False)


class Order(TenantMixin, Base):
    """One order and where it stands in its lifecycle."""

    __tablename__ = "trading_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        Index("ix_trading_orders_tenant_id_submitted_at", "tenant_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(128), nullable=False)
    strategy: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    limit_price: Mapped[Decimal | None] = mapped_column(Amount)
    decision_price: Mapped[Decimal | None] = mapped_column(Amount)
    arrival_mid: Mapped[Decimal | None] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_fill_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filled_qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    filled_notional: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fees: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))


class Fill(TenantMixin, Base):
    """An execution of (part of) an order: what the trades endpoints list."""

    __tablename__ = "trading_fills"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fill_id"),
        Index("ix_trading_fills_tenant_id_ts", "tenant_id", "ts", "id"),
        Index("ix_trading_fills_tenant_id_symbol_ts", "tenant_id", "symbol", "ts"),
        Index("ix_trading_fills_tenant_id_strategy_ts", "tenant_id", "strategy", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fill_id: Mapped[str] = mapped_column(String(128), nullable=False)
    order_ref: Mapped[int] = mapped_column(
        ForeignKey("trading_orders.id", ondelete="CASCADE"), index=True, nullable=False
    )
    order_id: Mapped[str] = mapped_column(String(128), nullable=False)
    strategy: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    price: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fee: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    liquidity: Mapped[str | None] = mapped_column(String(8))
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    realized_pnl: Mapped[Decimal | None] = mapped_column(Amount)
    slippage_bps: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)


class Position(TenantMixin, Base):
    """A strategy's net position in one symbol, at average cost (fees included in the basis)."""

    __tablename__ = "trading_positions"
    __table_args__ = (UniqueConstraint("tenant_id", "strategy", "symbol"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    avg_cost: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    realized_pnl: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fees: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class StrategyDay(Base):
    """One strategy's results in one symbol on one session day (mergeable sums).

    ``net_qty`` (bought - sold) and ``net_cash`` (sale proceeds - purchase cost) give the
    day's mark-to-market P&L together with the marks at the start and end of the day.
    """

    __tablename__ = "trading_strategy_days"

    tenant_id: Mapped[int] = _tenant_key()
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    realized_pnl: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fees: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fills: Mapped[int] = mapped_column(Integer, nullable=False)
    volume: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    notional: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    net_qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    net_cash: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    closing_trades: Mapped[int] = mapped_column(Integer, nullable=False)
    winning_trades: Mapped[int] = mapped_column(Integer, nullable=False)
    gross_profit: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    gross_loss: Mapped[Decimal] = mapped_column(Amount, nullable=False)


class ExecutionDay(Base):
    """Execution quality of the orders one strategy submitted in one symbol on one day.

    Fills are credited to the day their order was submitted, so fill rate and slippage compare
    like with like.
    """

    __tablename__ = "trading_execution_days"

    tenant_id: Mapped[int] = _tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, nullable=False)
    ordered_qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    filled_qty: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    filled_notional: Mapped[Decimal] = mapped_column(Amount, nullable=False)
    fills: Mapped[int] = mapped_column(Integer, nullable=False)
    filled_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    partial_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    cancelled_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    rejected_orders: Mapped[int] = mapped_column(Integer, nullable=False)
    slippage_qty: Mapped[float] = mapped_column(Float, nullable=False)
    slippage_bps_qty: Mapped[float] = mapped_column(Float, nullable=False)
    latency_count: Mapped[int] = mapped_column(Integer, nullable=False)
    latency_sum_ms: Mapped[float] = mapped_column(Float, nullable=False)
    latency_max_ms: Mapped[float] = mapped_column(Float, nullable=False)


class LatencyBucket(Base):
    """How many orders of a strategy and symbol, submitted on one day, first filled within
    ``bucket`` (an index into ``metrics.LATENCY_BUCKETS_MS``): a mergeable histogram."""

    __tablename__ = "trading_latency_buckets"

    tenant_id: Mapped[int] = _tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class StrategyState(TenantMixin, Base):
    """The latest update a strategy reported: its own positions, marks, signals and status."""

    __tablename__ = "trading_strategy_states"
    __table_args__ = (UniqueConstraint("tenant_id", "strategy"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str | None] = mapped_column(String(16))
    positions: Mapped[str] = mapped_column(Text, nullable=False)
    marks: Mapped[str] = mapped_column(Text, nullable=False)
    signals: Mapped[str] = mapped_column(Text, nullable=False)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Component(TenantMixin, Base):
    """A component of the trading system, as its latest heartbeat describes it."""

    __tablename__ = "trading_components"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    reported_status: Mapped[str] = mapped_column(String(16), nullable=False)
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    details: Mapped[str] = mapped_column(Text, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    heartbeats: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LogLine(TenantMixin, Base):
    """A log line a component sent (kept ``raw_retention_hours``)."""

    __tablename__ = "trading_logs"
    __table_args__ = (Index("ix_trading_logs_tenant_id_ts", "tenant_id", "ts", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), nullable=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    component: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    fields: Mapped[str] = mapped_column(Text, nullable=False)


class Alert(TenantMixin, Base):
    """A threshold alert: raised, possibly acknowledged, eventually resolved."""

    __tablename__ = "trading_alerts"
    __table_args__ = (Index("ix_trading_alerts_tenant_id_status", "tenant_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(128), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(String(400), nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))


class TrackedSymbol(Base):
    """A symbol the tenant asked to follow (``POST /symbols``), whether or not it has data yet."""

    __tablename__ = "trading_tracked_symbols"

    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    added_by: Mapped[str | None] = mapped_column(String(320))
