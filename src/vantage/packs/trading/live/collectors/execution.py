"""Execution collector: order lifecycle counts, fill rate, latency percentiles, arrival slippage.

Session figures count the orders submitted this session (fills are credited to their order's
session, as in the daily rollup); ``open`` and ``partially_filled`` are the orders in that state
right now, whenever they were submitted. Latency percentiles are exact over the most recent
``latency_window`` first fills.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.ledger import ZERO
from vantage.packs.trading.ingest.changes import FillFact, OrderChange
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.snapshot import (
    ExecutionSnapshot,
    LatencySnapshot,
    OrderCounts,
)

OPEN_STATUSES = frozenset({"submitted", "acknowledged", "partially_filled"})


@dataclass
class SessionExecution:
    """Mergeable session totals (the same sums as the daily execution rollup)."""

    submitted: int = 0
    filled: int = 0
    cancelled: int = 0
    rejected: int = 0
    fills: int = 0
    ordered_qty: Decimal = ZERO
    filled_qty: Decimal = ZERO
    slippage_qty: float = 0.0
    slippage_bps_qty: float = 0.0


@dataclass
class ExecutionState:
    session: SessionExecution = field(default_factory=SessionExecution)
    open: int = 0
    partially_filled: int = 0


class ExecutionCollector(Collector):
    name = "execution"

    def __init__(self, day_of: Callable[[datetime], date], latency_window: int) -> None:
        super().__init__()
        self.day_of = day_of
        self.state = ExecutionState()
        self.session_day: date | None = None
        self.latencies: deque[float] = deque(maxlen=latency_window)
        self._sorted: list[float] | None = None

    def roll_to(self, today: date) -> None:
        if self.session_day != today:
            self.session_day = today
            self.state.session = SessionExecution()

    def apply(self, orders: Iterable[OrderChange], fills: Iterable[FillFact], today: date) -> None:
        self.roll_to(today)
        for change in orders:
            self._apply_change(change, today)
        session = self.state.session
        for fill in fills:
            if fill.latency_ms is not None:
                self.latencies.append(fill.latency_ms)
                self._sorted = None
            if self.day_of(fill.submitted_at) != today:
                continue
            session.fills += 1
            session.filled_qty += fill.qty
            if fill.slippage_bps is not None:
                session.slippage_qty += float(fill.qty)
                session.slippage_bps_qty += fill.slippage_bps * float(fill.qty)

    def _apply_change(self, change: OrderChange, today: date) -> None:
        state = self.state
        was_open = change.previous in OPEN_STATUSES
        is_open = change.status in OPEN_STATUSES
        state.open += int(is_open) - int(was_open)
        state.partially_filled += int(change.status == "partially_filled") - int(
            change.previous == "partially_filled"
        )
        if self.day_of(change.submitted_at) != today:
            return
        session = state.session
        if change.previous is None:
            session.submitted += 1
            session.ordered_qty += change.qty
        if change.status == "filled":
            session.filled += 1
        elif change.status == "cancelled":
            session.cancelled += 1
        elif change.status == "rejected":
            session.rejected += 1

    def latency(self) -> LatencySnapshot:
        if self._sorted is None:
            self._sorted = sorted(self.latencies)
        ordered = self._sorted
        return LatencySnapshot(
            count=len(ordered),
            p50=metrics.percentile(ordered, 0.5),
            p90=metrics.percentile(ordered, 0.9),
            p99=metrics.percentile(ordered, 0.99),
            max=ordered[-1] if ordered else None,
        )

    def snapshot(self) -> ExecutionSnapshot:
        state, session = self.state, self.state.session
        return ExecutionSnapshot(
            orders=OrderCounts(
                submitted=session.submitted,
                open=state.open,
                partially_filled=state.partially_filled,
                filled=session.filled,
                cancelled=session.cancelled,
                rejected=session.rejected,
            ),
            fills=session.fills,
            ordered_qty=session.ordered_qty,
            filled_qty=session.filled_qty,
            fill_rate=metrics.fill_rate(session.filled_qty, session.ordered_qty),
            slippage_bps=metrics.weighted_slippage_bps(
                session.slippage_bps_qty, session.slippage_qty
            ),
            latency_ms=self.latency(),
        )
