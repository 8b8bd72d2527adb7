"""The ingest unit of work on real databases: per-event errors, dedupe, lifecycle, positions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.packs.trading.support import Recorder, fill, order, tick
from vantage.core.auth.models import Tenant
from vantage.core.db import Database
from vantage.core.watermarks import read_watermark
from vantage.packs.trading.models import (
    Bar,
    ExecutionDay,
    Fill,
    LatencyBucket,
    Order,
    Position,
    StrategyDay,
)

D = Decimal


async def _count(database: Database, model: type) -> int:
    async with database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_bad_events_are_refused_one_by_one_and_good_ones_kept(
    recorder: Recorder, database: Database
) -> None:
    outcome = await recorder.send(
        tick("t1", 0, bid=100, ask=100.5, last=100.25, size=10),
        tick("t2", 1, bid=101, ask=100),  # crossed quote
        order("o1-sub", "o1", 2),
        {"type": "fill", "id": "f0", "order_id": "o1", "ts": "yesterday", "qty": 1, "price": 1},
        fill("f1", "o1", 3, "40", "100.5"),
        fill("f2", "nope", 3, "1", "100"),  # unknown order
        fill("f3", "o1", 4, "70", "100.5"),  # more than the 60 left
        {"type": "heartbeat", "id": "h1", "ts": "2025-03-03T14:00:05Z", "component": "engine"},
        {"type": "teleport", "id": "x"},
        tick("t3", 5, size=3),  # a trade without its price
        {**order("o2-sub", "o2", 6), "strategy": None, "qty": None},  # no terms
    )
    assert outcome.accepted == 4
    assert outcome.duplicates == 0
    refused = {(e.index, e.event_id, tuple(e.loc)) for e in outcome.errors}
    assert refused == {
        (1, "t2", ("ask",)),
        (3, "f0", ("ts",)),
        (5, "f2", ("order_id",)),
        (6, "f3", ("qty",)),
        (8, "x", ("type",)),
        (9, "t3", ("size",)),
        (10, "o2-sub", ()),
    }
    assert outcome.errors[-1].message == "a submitted order needs strategy, qty"
    assert [e.index for e in outcome.errors] == sorted(e.index for e in outcome.errors)
    assert await _count(database, Fill) == 1
    assert await _count(database, Order) == 1


async def test_a_batch_sent_twice_counts_once(recorder: Recorder, database: Database) -> None:
    events = [
        tick("t1", 0, last=100.25, size=10),
        tick("t2", 0.5, last=100.5, size=5),
        order("o1-sub", "o1", 1),
        fill("f1", "o1", 2, "100", "100.5", fee="1"),
    ]
    first = await recorder.send(*events)
    again = await recorder.send(*events, events[0])
    assert (first.accepted, first.duplicates) == (4, 0)
    assert (again.accepted, again.duplicates, again.errors) == (0, 5, [])
    assert len(recorder.batches) == 1  # nothing new, nothing to publish
    async with database.reader() as session:
        volume = await session.scalar(
            select(Bar.sum_q).where(Bar.resolution == 3600, Bar.metric == "trade")
        )
        position = (await session.scalars(select(Position))).one()
        watermark = await read_watermark(session, 1, "trading")
    assert volume == 15.0
    assert position.qty == D(100)
    assert watermark.version == 1


async def test_order_lifecycle_with_partial_fills(recorder: Recorder, database: Database) -> None:
    outcome = await recorder.send(
        order("s", "o1", 0, arrival_mid="100", qty="100"),
        order("a", "o1", 0.010, status="acknowledged"),
        fill("f1", "o1", 0.050, "30", "100.10"),
        fill("f2", "o1", 0.080, "50", "100.20"),
        order("c", "o1", 1, status="cancelled", reason="timeout"),
    )
    assert outcome.accepted == 5 and outcome.errors == []
    transitions = [(c.previous, c.status) for c in recorder.batches[0].orders]
    assert transitions == [
        (None, "submitted"),
        ("submitted", "acknowledged"),
        ("acknowledged", "partially_filled"),
        ("partially_filled", "cancelled"),
    ]
    latencies = [f.latency_ms for f in recorder.batches[0].fills]
    assert latencies == [50.0, None]  # submit to first fill, once per order
    async with database.reader() as session:
        stored = (await session.scalars(select(Order))).one()
        day = (await session.scalars(select(ExecutionDay))).one()
        buckets = (await session.scalars(select(LatencyBucket))).all()
    assert (stored.status, stored.filled_qty, stored.reason) == ("cancelled", D(80), "timeout")
    assert (day.orders, day.cancelled_orders, day.partial_orders, day.filled_orders) == (1, 1, 1, 0)
    assert (day.ordered_qty, day.filled_qty, day.fills) == (D(100), D(80), 2)
    # Quantity-weighted slippage: (10 bps * 30 + 20 bps * 50) / 80
    assert day.slippage_bps_qty / day.slippage_qty == pytest.approx(16.25)
    assert [(b.count, b.bucket) for b in buckets] == [(1, buckets[0].bucket)]


async def test_fills_complete_orders_and_rules_hold(recorder: Recorder) -> None:
    outcome = await recorder.send(
        order("s1", "o1", 0, qty="10"),
        fill("f1", "o1", 1, "4", "100"),
        fill("f2", "o1", 2, "6", "100"),
        order("filled-again", "o1", 3, status="filled"),  # the same news: accepted, no change
        order("late-cancel", "o1", 4, status="cancelled"),
        order("s2", "o2", 5, qty="5"),
        order("r2", "o2", 6, status="rejected", reason="risk"),
        fill("f3", "o2", 7, "1", "100"),
        order("s1-again", "o1", 8, qty="10"),
    )
    refused = {(e.event_id, e.message.split(" ")[0]) for e in outcome.errors}
    assert {e.event_id for e in outcome.errors} == {"late-cancel", "f3", "s1-again"}
    assert refused == {("late-cancel", "order"), ("f3", "order"), ("s1-again", "order")}
    assert [(c.order_id, c.previous, c.status) for c in recorder.batches[0].orders] == [
        ("o1", None, "submitted"),
        ("o1", "submitted", "partially_filled"),
        ("o1", "partially_filled", "filled"),
        ("o2", None, "submitted"),
        ("o2", "submitted", "rejected"),
    ]


async def test_a_refused_event_is_accepted_when_sent_again_in_order(recorder: Recorder) -> None:
    early = await recorder.send(fill("f1", "o1", 1, "10", "100"))
    assert early.accepted == 0 and early.errors[0].loc == ["order_id"]
    later = await recorder.send(order("s1", "o1", 0, qty="10"), fill("f1", "o1", 1, "10", "100"))
    assert later.accepted == 2 and later.duplicates == 0


async def test_positions_and_daily_rollups_follow_the_ledger(
    recorder: Recorder, database: Database
) -> None:
    await recorder.send(
        order("s1", "b1", 0, side="buy", qty="100"),
        fill("f1", "b1", 1, "100", "10", fee="1"),
        order("s2", "s1", 2, side="sell", qty="40"),
        fill("f2", "s1", 3, "40", "11", fee="0.4"),
        order("s3", "s2", 4, side="sell", qty="100"),
        fill("f3", "s2", 5, "100", "9", fee="1"),
    )
    async with database.reader() as session:
        position = (await session.scalars(select(Position))).one()
        day = (await session.scalars(select(StrategyDay))).one()
        realized = (await session.scalars(select(Fill.realized_pnl).order_by(Fill.ts))).all()
    assert realized == [None, D("39.2"), D("-61.2")]
    assert (position.qty, position.avg_cost, position.realized_pnl) == (D(-40), D("8.99"), D(-22))
    assert (day.closing_trades, day.winning_trades) == (2, 1)
    assert (day.gross_profit, day.gross_loss) == (D("39.2"), D("61.2"))
    assert (day.net_qty, day.net_cash, day.fees) == (D(-40), D(-1000 + 440 + 900), D("2.4"))


async def test_each_tenant_keeps_its_own_ids_and_state(
    recorder: Recorder, database: Database
) -> None:
    async with database.transaction() as session:
        other = Tenant(slug="other-desk", name="Other desk")
        session.add(other)
        await session.flush()
        other_id = other.id
    one = await recorder.send(order("s1", "o1", 0), tenant_id=1)
    two = await recorder.send(order("s1", "o1", 0), tenant_id=other_id)
    assert one.accepted == two.accepted == 1
    assert await _count(database, Order) == 2
