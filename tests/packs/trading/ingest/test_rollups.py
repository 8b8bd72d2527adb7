"""1 s -> 1 min -> 1 h bars re-aggregate exactly, whatever order the ticks arrive in."""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tests.packs.trading.support import T0, Recorder, at, tick
from vantage.core.db import Database
from vantage.packs.trading.domain.bars import (
    HOUR,
    MID,
    MINUTE,
    SECOND,
    SPREAD,
    TRADE,
    BarKey,
    BarStats,
    bucket_start,
    rebucket,
)
from vantage.packs.trading.ingest.bar_folding import TickAggregator
from vantage.packs.trading.ingest.events import Tick


async def _stored(database: Database, resolution: int) -> dict[BarKey, BarStats]:
    from vantage.packs.trading.models import Bar

    async with database.reader() as session:
        rows = (await session.scalars(select(Bar).where(Bar.resolution == resolution))).all()
    return {
        (row.symbol, row.metric, row.bucket_start): BarStats(
            row.count,
            row.sum,
            row.min,
            row.max,
            row.first,
            row.first_ts,
            row.last,
            row.last_ts,
            row.sum_pq,
            row.sum_q,
        )
        for row in rows
    }


def _assert_same(merged: dict[BarKey, BarStats], stored: dict[BarKey, BarStats]) -> None:
    assert merged.keys() == stored.keys()
    for key, bar in merged.items():
        held = stored[key]
        if key[1] == SPREAD:
            # Spreads in bps are quotients, not exact binary fractions: their sums may differ
            # in the last bit with the order of additions.
            assert math.isclose(bar.sum, held.sum, rel_tol=1e-12)
            held.sum = bar.sum
        assert bar == held, key


def _random_ticks(count: int, seed: int) -> list[dict[str, Any]]:
    # Prices are multiples of 1/64 and sizes whole numbers: every float sum is exact in any
    # order, so equality below can be exact rather than approximate.
    generator = random.Random(seed)
    events = []
    for index in range(count):
        seconds = generator.uniform(0, 2 * 3600 + 600)  # crosses minute and hour boundaries
        bid = 100 + generator.randrange(0, 640) / 64
        trade = generator.random() < 0.6
        events.append(
            tick(
                f"t{index}",
                seconds,
                symbol=generator.choice(["AAPL", "MSFT"]),
                bid=bid,
                ask=bid + generator.randrange(1, 8) / 64,
                last=bid + 1 / 64 if trade else None,
                size=float(generator.randrange(1, 500)) if trade else 0.0,
            )
        )
    return events


async def test_coarser_bars_are_exactly_the_merge_of_finer_ones(
    recorder: Recorder, database: Database
) -> None:
    events = _random_ticks(1500, seed=11)
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), 250):  # out of order, across batches
        await recorder.send(*shuffled[start : start + 250])

    seconds = await _stored(database, SECOND)
    minutes = await _stored(database, MINUTE)
    hours = await _stored(database, HOUR)
    _assert_same(rebucket(seconds.items(), MINUTE), minutes)
    _assert_same(rebucket(minutes.items(), HOUR), hours)

    # And the hour bars agree with the ticks themselves.
    trades = [e for e in events if e.get("size")]
    for symbol in ("AAPL", "MSFT"):
        mine = [e for e in trades if e["symbol"] == symbol]
        sum_pq = sum(float(e["last"]) * float(e["size"]) for e in mine)
        sum_q = sum(float(e["size"]) for e in mine)
        merged = rebucket(
            ((k, v) for k, v in hours.items() if k[0] == symbol and k[1] == TRADE), 86_400
        )
        (bar,) = merged.values()
        assert bar.vwap == sum_pq / sum_q
        assert bar.count == len(mine)
        first = min(mine, key=lambda e: e["ts"])
        last = max(mine, key=lambda e: e["ts"])
        assert (bar.first, bar.last) == (first["last"], last["last"])
        quotes = [e for e in events if e["symbol"] == symbol]
        mids = rebucket(((k, v) for k, v in hours.items() if k[:2] == (symbol, MID)), 86_400)
        (mid_bar,) = mids.values()
        assert mid_bar.count == len(quotes)
        expected_mean = sum((e["bid"] + e["ask"]) / 2 for e in quotes) / len(quotes)
        assert mid_bar.mean == expected_mean
    assert {metric for (_, metric, _) in hours} == {TRADE, MID, SPREAD}


def test_the_batch_aggregator_folds_like_one_bar_at_a_time() -> None:
    generator = random.Random(5)
    ticks = [
        Tick(
            id=f"t{i}",
            ts=datetime.fromisoformat(at(generator.uniform(0, 3))),
            symbol="AAPL",
            bid=100.0 + generator.random(),
            ask=101.0 + generator.random(),
            last=100.5 + generator.random(),
            size=float(generator.randrange(0, 3)),
        )
        for i in range(200)
    ]
    aggregator = TickAggregator()
    aggregator.add_ticks(ticks)
    rows = aggregator.rows()
    expected: dict[tuple[str, datetime], BarStats] = {}
    for t in ticks:
        if t.size > 0 and t.last is not None:
            key = (TRADE, bucket_start(t.ts, SECOND))
            if key in expected:
                expected[key].add(t.last, t.ts, t.size)
            else:
                expected[key] = BarStats.of(t.last, t.ts, t.size)
    for (metric, start), bar in expected.items():
        stored = rows[(SECOND, "AAPL", metric, start)]
        assert (stored.count, stored.min, stored.max) == (bar.count, bar.min, bar.max)
        assert (stored.first, stored.first_ts, stored.last, stored.last_ts) == (
            bar.first,
            bar.first_ts,
            bar.last,
            bar.last_ts,
        )
        assert abs(stored.sum_pq - bar.sum_pq) <= 1e-9 * abs(bar.sum_pq)


def test_merging_is_order_independent_and_ties_go_to_arrival_order() -> None:
    a = BarStats.of(1.0, T0, 2.0)
    b = BarStats.of(2.0, T0, 1.0)  # same timestamp
    ab, ba = a.copy(), b.copy()
    ab.merge(b)
    ba.merge(a)
    assert (ab.count, ab.sum_pq, ab.sum_q, ab.min, ab.max) == (2, 4.0, 3.0, 1.0, 2.0)
    assert (ab.first, ab.last) == (1.0, 2.0)  # first seen stays first, latest arrival is last
    assert (ba.first, ba.last) == (2.0, 1.0)
    assert ab.vwap == 4.0 / 3.0 and ab.mean == 1.5
