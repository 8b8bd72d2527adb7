"""Order lifecycle, fills and positions for one batch (the rules; SQL is in the repository).

Lifecycle: submitted -> acknowledged -> partially_filled -> filled, or -> cancelled / rejected
from any open state. Fills drive ``partially_filled`` and ``filled``; an order is never filled
beyond its quantity, and a rejected order takes no fills. A fill that arrives after a cancel
(the race every venue has) is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.domain.ledger import Book, apply_fill, q10
from vantage.packs.trading.ingest.changes import AppliedBatch, FillFact, OrderChange
from vantage.packs.trading.ingest.events import Event, FillEvent, OrderEvent
from vantage.packs.trading.ingest.rows import (
    ExecutionDayDelta,
    ExecutionDayKey,
    FillRecord,
    LatencyKey,
    OrderRecord,
    StrategyDayDelta,
    StrategyDayKey,
)
from vantage.packs.trading.repository import ingest as repo
from vantage.packs.trading.repository import rollups

TERMS = ("strategy", "symbol", "side", "qty")


class RuleBroken(Exception):
    """An event is well-formed but contradicts what is already known."""

    def __init__(self, loc: list[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _has_terms(event: OrderEvent) -> bool:
    return all(getattr(event, name) is not None for name in TERMS)


def _record_from(event: OrderEvent) -> OrderRecord:
    assert event.strategy and event.symbol and event.side and event.qty
    return OrderRecord(
        order_id=event.order_id,
        strategy=event.strategy,
        symbol=event.symbol,
        side=event.side,
        qty=event.qty,
        status="submitted",
        submitted_at=event.ts,
        limit_price=event.limit_price,
        decision_price=event.decision_price,
        arrival_mid=event.arrival_mid,
    )


class OrderBook:
    """The orders and positions one batch touches, and the rollup deltas it produces."""

    def __init__(
        self,
        session: AsyncSession,
        tenant_id: int,
        day_of: Callable[[datetime], date],
        applied: AppliedBatch,
        now: datetime,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.day_of = day_of
        self.applied = applied
        self.now = now
        self.orders: dict[str, OrderRecord] = {}
        self.created_by: dict[str, str] = {}  # order id -> the event that created it
        self.books: dict[tuple[str, str], tuple[int, Book]] = {}
        self.changed_books: dict[int, Book] = {}
        self.fills: list[FillRecord] = []
        self.strategy_days: dict[StrategyDayKey, StrategyDayDelta] = defaultdict(StrategyDayDelta)
        self.execution_days: dict[ExecutionDayKey, ExecutionDayDelta] = defaultdict(
            ExecutionDayDelta
        )
        self.latency: dict[LatencyKey, int] = defaultdict(int)

    async def load(self, events: Iterable[Event]) -> None:
        """Lock the orders and positions the events refer to; create newly submitted orders."""
        wanted: dict[str, OrderEvent | None] = {}
        for event in events:
            if isinstance(event, OrderEvent):
                if wanted.get(event.order_id) is None and _has_terms(event):
                    wanted[event.order_id] = event
                else:
                    wanted.setdefault(event.order_id, None)
            elif isinstance(event, FillEvent):
                wanted.setdefault(event.order_id, None)
        if not wanted:
            return
        self.orders = await repo.lock_orders(self.session, self.tenant_id, wanted)
        new = {oid: ev for oid, ev in wanted.items() if ev is not None and oid not in self.orders}
        if new:
            records = {oid: _record_from(ev) for oid, ev in new.items()}
            created = await repo.create_orders(self.session, self.tenant_id, list(records.values()))
            for order_id, row_id in created.items():
                records[order_id].id = row_id
                self.orders[order_id] = records[order_id]
                self.created_by[order_id] = new[order_id].id
            raced = set(new) - set(created)
            if raced:  # committed by a concurrent batch meanwhile: take theirs
                self.orders.update(await repo.lock_orders(self.session, self.tenant_id, raced))
        positions = {(o.strategy, o.symbol) for o in self.orders.values()}
        self.books = await repo.lock_positions(self.session, self.tenant_id, positions, self.now)

    def _order(self, order_id: str) -> OrderRecord:
        record = self.orders.get(order_id)
        if record is None:
            raise RuleBroken(
                ["order_id"], f"unknown order {order_id!r}: send its 'submitted' event first"
            )
        return record

    def _change(self, record: OrderRecord, previous: str | None, ts: datetime) -> None:
        record.dirty = True
        self.applied.orders.append(
            OrderChange(
                record.order_id,
                record.strategy,
                record.symbol,
                record.side,
                record.qty,
                previous,
                record.status,
                ts,
                record.submitted_at,
                record.filled_qty,
            )
        )

    def _execution(self, record: OrderRecord) -> ExecutionDayDelta:
        return self.execution_days[
            (self.day_of(record.submitted_at), record.strategy, record.symbol)
        ]

    def on_order(self, event: OrderEvent) -> None:
        record = self._order(event.order_id)
        if self.created_by.get(event.order_id) == event.id:
            self._change(record, None, event.ts)
            delta = self._execution(record)
            delta.orders += 1
            delta.ordered_qty += record.qty
            if event.status == "submitted":
                return
        elif event.status == "submitted":
            raise RuleBroken(["order_id"], f"order {event.order_id!r} was already submitted")
        self._transition(record, event)

    def _transition(self, record: OrderRecord, event: OrderEvent) -> None:
        status = event.status
        if status == "acknowledged":
            if record.acknowledged_at is None:
                record.acknowledged_at = event.ts
                record.dirty = True
            if record.status == "submitted":
                record.status = "acknowledged"
                self._change(record, "submitted", event.ts)
            return
        if record.closed:
            if record.status == status:
                return  # the same news twice under another event id
            raise RuleBroken(["status"], f"order {record.order_id!r} is already {record.status}")
        if status == "rejected" and record.filled_qty > 0:
            raise RuleBroken(
                ["status"], f"order {record.order_id!r} has fills; it cannot be rejected"
            )
        self._close(record, status, event.ts, event.reason)

    def _close(self, record: OrderRecord, status: str, ts: datetime, reason: str | None) -> None:
        previous = record.status
        record.status = status
        record.closed_at = ts
        record.reason = reason or record.reason
        delta = self._execution(record)
        if status == "filled":
            delta.filled_orders += 1
        elif status == "cancelled":
            delta.cancelled_orders += 1
            if record.filled_qty > 0:
                delta.partial_orders += 1
        elif status == "rejected":
            delta.rejected_orders += 1
        self._change(record, previous, ts)

    def on_fill(self, event: FillEvent) -> FillRecord:
        record = self._order(event.order_id)
        if record.status == "rejected":
            raise RuleBroken(["order_id"], f"order {record.order_id!r} was rejected; no fills")
        if event.qty > record.remaining_qty:
            raise RuleBroken(
                ["qty"],
                f"fill of {event.qty} exceeds the {record.remaining_qty} left of order "
                f"{record.order_id!r}",
            )
        assert record.id is not None
        row_id, book = self.books[(record.strategy, record.symbol)]
        result = apply_fill(book, record.side, event.qty, event.price, event.fee)
        self.books[(record.strategy, record.symbol)] = (row_id, result.book)
        self.changed_books[row_id] = result.book

        latency_ms: float | None = None
        if record.first_fill_at is None:
            record.first_fill_at = event.ts
            latency_ms = max((event.ts - record.submitted_at).total_seconds() * 1000.0, 0.0)
        slippage = None
        if record.arrival_mid is not None:
            slippage = metrics.arrival_slippage_bps(
                record.side, float(event.price), float(record.arrival_mid)
            )
        notional = q10(event.qty * event.price)
        record.filled_qty += event.qty
        record.filled_notional += notional
        record.fees += event.fee
        record.dirty = True
        fill = FillRecord(
            event.id,
            record.id,
            record.order_id,
            record.strategy,
            record.symbol,
            record.side,
            event.qty,
            event.price,
            event.fee,
            event.liquidity,
            event.ts,
            result.realized_pnl,
            slippage,
            latency_ms,
        )
        self.fills.append(fill)
        self._count_fill(record, fill, notional)
        self._advance_after_fill(record, event.ts)
        self.applied.fills.append(
            FillFact(
                fill.fill_id,
                fill.order_id,
                fill.strategy,
                fill.symbol,
                fill.side,
                fill.qty,
                fill.price,
                fill.fee,
                fill.ts,
                record.submitted_at,
                fill.realized_pnl,
                fill.slippage_bps,
                fill.latency_ms,
                result.book.qty,
                result.book.avg_cost,
                result.book.realized_pnl,
            )
        )
        return fill

    def _advance_after_fill(self, record: OrderRecord, ts: datetime) -> None:
        if record.remaining_qty == 0 and not record.closed:
            self._close(record, "filled", ts, None)
        elif record.status in ("submitted", "acknowledged"):
            previous = record.status
            record.status = "partially_filled"
            self._change(record, previous, ts)

    def _count_fill(self, record: OrderRecord, fill: FillRecord, notional: Decimal) -> None:
        sign = metrics.side_sign(fill.side)
        day = self.strategy_days[(fill.strategy, self.day_of(fill.ts), fill.symbol)]
        day.fills += 1
        day.volume += fill.qty
        day.notional += notional
        day.fees += fill.fee
        day.net_qty += sign * fill.qty
        day.net_cash -= sign * notional
        if fill.realized_pnl is not None:
            pnl = fill.realized_pnl
            day.realized_pnl += pnl
            day.closing_trades += 1
            if pnl > 0:
                day.winning_trades += 1
                day.gross_profit += pnl
            elif pnl < 0:
                day.gross_loss -= pnl

        execution = self._execution(record)
        execution.fills += 1
        execution.filled_qty += fill.qty
        execution.filled_notional += notional
        if fill.slippage_bps is not None:
            execution.slippage_qty += float(fill.qty)
            execution.slippage_bps_qty += fill.slippage_bps * float(fill.qty)
        if fill.latency_ms is not None:
            execution.latency_count += 1
            execution.latency_sum_ms += fill.latency_ms
            execution.latency_max_ms = max(execution.latency_max_ms, fill.latency_ms)
            bucket = metrics.latency_bucket(fill.latency_ms)
            key = (self.day_of(record.submitted_at), record.strategy, record.symbol, bucket)
            self.latency[key] += 1

    async def write(self) -> None:
        """Persist every change of the batch."""
        session, tenant = self.session, self.tenant_id
        await repo.update_orders(session, [o for o in self.orders.values() if o.dirty])
        await repo.update_positions(session, self.changed_books, self.now)
        await repo.insert_fills(session, tenant, self.fills)
        await rollups.merge_strategy_days(session, tenant, dict(self.strategy_days))
        await rollups.merge_execution_days(
            session, tenant, dict(self.execution_days), dict(self.latency)
        )
