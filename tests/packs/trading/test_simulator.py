"""The simulator feeds the same ingest path as real events, and the demo and CLI drive it."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.packs.trading.support import Recorder
from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.packs import DemoContext
from vantage.packs.trading.demo import demo_marker, load_demo
from vantage.packs.trading.ingest.events import Event
from vantage.packs.trading.models import Fill, Order
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.market import KNOWN, PriceProcess
from vantage.packs.trading.simulator.runner import backfill


def test_prices_follow_geometric_brownian_motion() -> None:
    generator = random.Random(3)
    process = PriceProcess(KNOWN["AAPL"], generator)
    step = 3600.0
    returns = []
    for _ in range(4000):
        before = process.mid
        process.step(step)
        returns.append(math.log(process.mid / before))
    sigma = math.sqrt(sum(r * r for r in returns) / len(returns) / (step / (365 * 24 * 3600)))
    assert abs(sigma - KNOWN["AAPL"].annual_volatility) < 0.02  # the volatility it was given
    quote = process.step(1.0)
    assert quote.bid < quote.ask


async def test_a_simulated_hour_is_accepted_whole(recorder: Recorder, database: Database) -> None:
    simulator = Simulator(["AAPL", "BTCUSD"], seed=11, ticks_per_second=3)
    refused: list[object] = []
    kinds: Counter[str] = Counter()

    async def sink(events: list[Event]) -> None:
        kinds.update(event.type for event in events)
        outcome = await recorder.pipeline.ingest_events(1, events)
        refused.extend(outcome.errors)

    end = datetime.now(UTC)
    sent = await backfill(simulator, sink, end - timedelta(hours=1), end)
    assert refused == []
    assert sent == sum(kinds.values()) and kinds["tick"] >= 10_000
    assert kinds["order"] > 0 and kinds["fill"] > 0 and kinds["heartbeat"] > 0
    async with database.reader() as session:
        statuses = dict(
            (await session.execute(select(Order.status, func.count()).group_by(Order.status))).all()
        )
        fills = await session.scalar(select(func.count()).select_from(Fill))
    assert statuses.get("filled", 0) > 0 and fills
    assert {"rejected", "cancelled"} & set(statuses)  # the venue model rejects and cancels


async def test_the_demo_backfills_once_and_switches_the_simulator_on(
    sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(database_url=sqlite_url, data_dir=tmp_path / "demo")
    database = Database(settings)
    context = DemoContext(settings=settings, database=database, tenant_id=1, scale="small")
    summary = await load_demo(context)
    assert "simulated events" in summary
    assert demo_marker(settings.data_dir).exists()
    async with database.reader() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
    again = await load_demo(context)
    assert "kept the existing" in again
    async with database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == orders
    await database.dispose()
