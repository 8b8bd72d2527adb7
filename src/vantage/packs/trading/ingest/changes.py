"""What one committed batch changed, as the live collectors consume it (here or via the feed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pydantic import TypeAdapter

from vantage.packs.trading.ingest.events import Heartbeat, LogEvent, StrategyUpdate, Tick


@dataclass(slots=True)
class OrderChange:
    """An order moved from one lifecycle status to another (``previous`` None: it is new)."""

    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: Decimal
    previous: str | None
    status: str
    ts: datetime
    submitted_at: datetime
    filled_qty: Decimal


@dataclass(slots=True)
class FillFact:
    """A fill, what it realized and cost, and the position it left behind."""

    fill_id: str
    order_id: str
    strategy: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime
    submitted_at: datetime
    realized_pnl: Decimal | None
    slippage_bps: float | None
    latency_ms: float | None
    position_qty: Decimal
    position_avg_cost: Decimal
    position_realized: Decimal


@dataclass(slots=True)
class AppliedBatch:
    """The accepted events of one batch and their derived facts, in batch order.

    ``version`` comes from the watermark row every ingest transaction of the tenant updates,
    so versions follow commit order without gaps: a reader knows what it missed.
    """

    tenant_id: int
    version: int = 0  # the tenant's data watermark after this batch: a total order of commits
    events: int = 0  # how many events the batch accepted
    ticks: list[Tick] = field(default_factory=list)
    orders: list[OrderChange] = field(default_factory=list)
    fills: list[FillFact] = field(default_factory=list)
    strategy_updates: list[StrategyUpdate] = field(default_factory=list)
    logs: list[LogEvent] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.ticks
            or self.orders
            or self.fills
            or self.strategy_updates
            or self.logs
            or self.heartbeats
        )


APPLIED_BATCH: TypeAdapter[AppliedBatch] = TypeAdapter(AppliedBatch)


def encode_batch(batch: AppliedBatch) -> bytes:
    """JSON for the cross-process feed."""
    return APPLIED_BATCH.dump_json(batch)


def decode_batch(data: bytes | str) -> AppliedBatch:
    return APPLIED_BATCH.validate_json(data)
