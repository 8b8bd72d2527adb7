"""Live collectors against hand-computed figures, and a rebuild from the database that matches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.packs.trading.support import T0, Recorder, fill, order, tick
from vantage.core.db import Database
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.loader import load_tenant
from vantage.packs.trading.live.collectors.snapshot import HostSnapshot, MetricsSnapshot
from vantage.packs.trading.settings import TradingSettings

D = Decimal
HOST = HostSnapshot(
    cpu_percent=1.0,
    memory_percent=2.0,
    memory_used_bytes=3,
    disk_percent=4.0,
    load_average=[0.1, 0.1, 0.1],
    sampled_at=T0,
)
NOW = T0 + timedelta(minutes=5)
SETTINGS = TradingSettings(_env_file=None)

DAY_EVENTS = [
    tick("t1", 0, bid=99.9, ask=100.1, last=100, size=10),
    tick("t2", 1, bid=100.9, ask=101.1, last=101, size=30),
    order("s1", "b1", 2, side="buy", qty="100", arrival_mid="99.95"),
    fill("f1", "b1", 2.020, "100", "100", fee="1"),
    order("s2", "x1", 3, side="sell", qty="40", arrival_mid="102.1"),
    fill("f2", "x1", 3.030, "40", "102", fee="0.4"),
    {
        "type": "strategy_update",
        "id": "u1",
        "ts": (T0 + timedelta(seconds=4)).isoformat(),
        "strategy": "momentum",
        "status": "running",
        "positions": {"AAPL": "60"},
        "signals": {"AAPL": 0.5},
    },
    {
        "type": "heartbeat",
        "id": "h1",
        "ts": (T0 + timedelta(seconds=4)).isoformat(),
        "component": "engine",
        "interval_seconds": 1,
    },
    {
        "type": "log",
        "id": "l1",
        "ts": (T0 + timedelta(seconds=4)).isoformat(),
        "level": "warning",
        "component": "engine",
        "message": "slow venue",
    },
]


def _live(recorder: Recorder, now=NOW) -> TenantCollectors:  # type: ignore[no-untyped-def]
    collectors = TenantCollectors(1, SETTINGS)
    for batch in recorder.batches:
        collectors.apply(batch, now)
    return collectors


def _comparable(snapshot: MetricsSnapshot) -> dict[str, object]:
    data = snapshot.model_dump(mode="json", exclude={"sequence", "collectors"})
    data["system"].pop("events_per_second")
    data["system"].pop("events_total")
    return data


async def test_snapshot_matches_hand_computed_figures(recorder: Recorder) -> None:
    outcome = await recorder.send(*DAY_EVENTS)
    assert outcome.errors == []
    snapshot = _live(recorder).snapshot(HOST, NOW)

    (aapl,) = snapshot.market
    assert (aapl.last, aapl.bid, aapl.ask, aapl.volume, aapl.trades) == (101, 100.9, 101.1, 40, 2)
    assert aapl.vwap == pytest.approx((100 * 10 + 101 * 30) / 40)  # 100.75
    assert aapl.spread_bps == pytest.approx(0.2 / 101 * 1e4)
    assert (aapl.open, aapl.high, aapl.low) == (100, 101, 100)

    (momentum,) = snapshot.strategies
    (position,) = momentum.positions
    assert (position.qty, position.avg_cost) == (D(60), D("100.01"))
    assert momentum.realized_pnl == D("79.2")  # (102 - 100.01) * 40 - 0.4
    assert momentum.unrealized_pnl == D("59.4")  # (101 - 100.01) * 60
    assert momentum.daily_pnl == D("138.6")  # 60 * 101 - 10000 + 4080 - 1.4
    assert momentum.daily_pnl == momentum.realized_pnl + momentum.unrealized_pnl
    assert (momentum.win_rate, momentum.profit_factor, momentum.sharpe) == (1.0, None, None)
    assert momentum.max_drawdown == D(0)
    assert (momentum.status, momentum.signals, position.reported_qty) == (
        "running",
        {"AAPL": 0.5},
        D(60),
    )

    execution = snapshot.execution
    assert (execution.orders.submitted, execution.orders.filled, execution.orders.open) == (2, 2, 0)
    assert execution.fill_rate == 1.0
    # pytest.approx compares equal to floats, which mypy cannot see inside a tuple.
    assert (execution.latency_ms.p50, execution.latency_ms.max) == (  # type: ignore[comparison-overlap]
        pytest.approx(25.0),
        30.0,
    )
    buy_bps = (100 - 99.95) / 99.95 * 1e4
    sell_bps = -(102 - 102.1) / 102.1 * 1e4
    assert execution.slippage_bps == pytest.approx((buy_bps * 100 + sell_bps * 40) / 140)

    system = snapshot.system
    # Its last heartbeat is five minutes old by NOW: stale, so degraded.
    assert [(c.name, c.status, c.stale) for c in system.components] == [
        ("engine", "degraded", True)
    ]
    assert [line.message for line in system.logs] == ["slow venue"]


async def test_a_rebuild_from_the_database_equals_the_live_state(
    recorder: Recorder, database: Database
) -> None:
    await recorder.send(*DAY_EVENTS)
    await recorder.send(
        order("s3", "b2", 60, side="buy", qty="50", arrival_mid="101"),
        order("a3", "b2", 60.005, status="acknowledged"),
        fill("f3", "b2", 60.040, "20", "101.5", fee="0.2"),
        tick("t3", 61, bid=99, ask=99.5, last=99.25, size=5),
        order("s4", "x2", 62, side="sell", qty="70", arrival_mid="99.2"),
        fill("f4", "x2", 62.010, "70", "99", fee="0.7"),
    )
    live = _live(recorder).snapshot(HOST, NOW)
    async with database.reader() as session:
        rebuilt = (await load_tenant(session, 1, SETTINGS, NOW)).snapshot(HOST, NOW)
    assert _comparable(rebuilt) == _comparable(live)
    momentum = live.strategies[0]
    assert momentum.closing_trades == 2 and momentum.profit_factor is not None
    assert live.execution.orders.partially_filled == 1 and live.execution.orders.open == 1


async def test_daily_pnl_revalues_a_carried_position_from_the_previous_close(
    recorder: Recorder, database: Database
) -> None:
    day = 24 * 3600
    await recorder.send(
        order("s1", "b1", -day, side="buy", qty="10"),
        fill("f1", "b1", -day + 1, "10", "50"),
        tick("t1", -day + 2, bid=51.5, ask=52.5, last=52, size=1),
    )
    yesterday = _live(recorder, now=T0 - timedelta(days=1))
    await recorder.send(
        tick("t2", 10, bid=54.5, ask=55.5, last=55, size=1),
        order("s2", "x1", 11, side="sell", qty="4"),
        fill("f2", "x1", 12, "4", "54"),
    )
    for batch in recorder.batches[1:]:
        yesterday.apply(batch, NOW)
    live = yesterday.snapshot(HOST, NOW)
    # 6 held at 55, minus 10 carried at the previous close 52, plus 4 sold at 54
    assert live.strategies[0].daily_pnl == D(6 * 55 - 10 * 52 + 4 * 54)
    assert live.market[0].previous_close == 52
    assert live.market[0].volume == 1  # yesterday's print is not today's volume
    async with database.reader() as session:
        rebuilt = (await load_tenant(session, 1, SETTINGS, NOW)).snapshot(HOST, NOW)
    assert rebuilt.strategies[0].daily_pnl == D(26)
    assert rebuilt.market[0].volume == 1  # only today's prints count in the session


def test_stale_heartbeats_degrade_a_component() -> None:
    from vantage.packs.trading.ingest.changes import AppliedBatch
    from vantage.packs.trading.ingest.events import Heartbeat

    collectors = TenantCollectors(1, SETTINGS)
    beat = Heartbeat(id="h", ts=T0, component="feed", interval_seconds=10.0)
    collectors.apply(AppliedBatch(tenant_id=1, version=1, heartbeats=[beat]), T0)
    fresh = collectors.snapshot(HOST, T0 + timedelta(seconds=29)).system
    stale = collectors.snapshot(HOST, T0 + timedelta(seconds=31)).system
    assert (fresh.components[0].status, fresh.status) == ("ok", "ok")  # 3 x 10 s allowed
    assert (stale.components[0].status, stale.components[0].stale) == ("degraded", True)
    assert stale.status == "degraded"
