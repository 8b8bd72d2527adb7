"""The runtime: version-ordered feed, 10 Hz snapshots, trades, and the lease across processes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.packs.trading.support import body, fill, order, tick
from tests.support import databases
from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.redis import create_redis
from vantage.packs.trading import runtime as runtime_module
from vantage.packs.trading.channels import METRICS_CHANNEL, TRADES_CHANNEL, LocalPublisher
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.live.version_gate import VersionGate
from vantage.packs.trading.runtime import TradingRuntime
from vantage.packs.trading.settings import TradingSettings


def NOW() -> datetime:  # noqa: N802 - reads like the constant it stands for
    return datetime.now(UTC)


def _batch(version: int, tenant: int = 1) -> AppliedBatch:
    return AppliedBatch(tenant_id=tenant, version=version)


def test_the_gate_applies_each_version_once_and_in_order() -> None:
    gate = VersionGate()
    assert gate.admit(_batch(2)) == []
    assert [b.version for b in gate.admit(_batch(1))] == [1, 2]
    assert gate.admit(_batch(2)) == []  # seen
    assert [b.version for b in gate.admit(_batch(1, tenant=7))] == [1]  # tenants are separate
    assert gate.admit(_batch(4)) == []
    assert gate.stalled(0.0) == [1]
    gate.reset(1, 4)  # a rebuild read version 4 from the database
    assert gate.pending[1] == {}
    assert [b.version for b in gate.admit(_batch(5))] == [5]


def _settings(**overrides: Any) -> TradingSettings:
    values: dict[str, Any] = {"simulator": False, **overrides}
    return TradingSettings(_env_file=None, **values)


@asynccontextmanager
async def running(
    database: Database, publisher: LocalPublisher, **options: Any
) -> AsyncIterator[TradingRuntime]:
    runtime = TradingRuntime(
        database=database, settings=_settings(), publisher=publisher, **options
    )
    await runtime.start()
    try:
        await asyncio.wait_for(runtime.leading.wait(), 10)
        yield runtime
    finally:
        await runtime.stop()


async def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``check`` (state changes on other tasks, with no event to wait for)."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - polling another component's state
            await asyncio.sleep(0.02)


async def _send(runtime: TradingRuntime, *events: dict[str, object]) -> None:
    outcome = await runtime.pipeline.ingest(1, runtime.pipeline.parse_body(body(*events)))
    assert outcome.errors == []


def _metrics(publisher: LocalPublisher) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(m) for m in publisher.messages.get((1, METRICS_CHANNEL), [])]


async def test_snapshots_flow_at_ten_a_second_and_trades_are_published(
    database: Database,
) -> None:
    publisher = LocalPublisher()
    async with running(database, publisher) as runtime:
        pipeline = runtime.pipeline
        outcome = await pipeline.ingest(
            1,
            pipeline.parse_body(
                body(
                    tick("t1", -3, last=100.25, size=10, base=NOW()),
                    order("s1", "o1", -2, qty="5", base=NOW()),
                    fill("f1", "o1", -1, "5", "100.5", base=NOW()),
                )
            ),
        )
        assert outcome.accepted == 3
        await _eventually(lambda: any(m["market"] for m in _metrics(publisher)))
        before = len(_metrics(publisher))
        await asyncio.sleep(1.0)
        snapshots = _metrics(publisher)[before:]
        trades = [json.loads(m) for m in publisher.messages[(1, TRADES_CHANNEL)]]
    # A scheduled 10 Hz loop on a shared machine: about ten a second, never a burst.
    assert 7 <= len(snapshots) <= 12
    sequences = [s["sequence"] for s in snapshots]
    assert sequences == sorted(set(sequences))
    assert snapshots[-1]["market"][0]["volume"] == 10
    assert snapshots[-1]["strategies"][0]["positions"][0]["qty"] == "5.0000000000"
    assert [t["id"] for batch in trades for t in batch["trades"]] == ["f1"]


def _lose_the_next_batch(runtime: TradingRuntime) -> None:
    """The next batch committed never reaches the feed (lost between commit and feed)."""
    forward = runtime.pipeline.sink
    lost: list[AppliedBatch] = []

    async def lossy(batch: AppliedBatch) -> None:
        if not lost:
            lost.append(batch)
            return
        assert forward is not None
        await forward(batch)

    runtime.pipeline.sink = lossy


@asynccontextmanager
async def _losing_the_first_batch(
    database: Database, monkeypatch: pytest.MonkeyPatch, publisher: LocalPublisher
) -> AsyncIterator[TradingRuntime]:
    """A running runtime whose next committed batch never reaches the feed; gaps time out fast."""
    monkeypatch.setattr(runtime_module, "GAP_TIMEOUT_SECONDS", 0.1)
    async with running(database, publisher) as runtime:
        _lose_the_next_batch(runtime)
        yield runtime


async def test_a_lost_feed_message_is_recovered_from_the_database(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _losing_the_first_batch(database, monkeypatch, LocalPublisher()) as runtime:
        await _send(runtime, tick("t1", 0, last=100, size=3, base=NOW()))
        await _send(runtime, tick("t2", 1, last=101, size=4, base=NOW()))

        def volume() -> float:
            collectors = runtime.collectors(1)
            return collectors.market.symbols["AAPL"].volume if collectors else 0.0

        await _eventually(lambda: volume() == 7)
        assert runtime.gate.applied[1] == 2


async def test_trades_held_behind_a_gap_are_published_once_though_a_rebuild_applies_them(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = LocalPublisher()
    async with _losing_the_first_batch(database, monkeypatch, publisher) as runtime:
        # The order's batch is the one lost.
        await _send(runtime, order("s1", "o1", -2, qty="5", base=NOW()))
        await _send(runtime, fill("f1", "o1", -1, "5", "100.5", base=NOW()))
        # The fill's batch waits behind the gap; the rebuild reads it from the database.
        await _eventually(lambda: runtime.gate.applied.get(1) == 2)
        await asyncio.sleep(0.3)  # a few more snapshot ticks: nothing is published again
        messages = list(publisher.messages.get((1, TRADES_CHANNEL), ()))
    assert [t["id"] for m in messages for t in json.loads(m)["trades"]] == ["f1"]


@pytest.fixture
def redis_url() -> str:
    url = databases.require_service(databases.REDIS_ENV)
    if not url:
        pytest.skip(f"{databases.REDIS_ENV} is not set")
    return url


async def test_one_process_leads_and_another_takes_over(
    redis_url: str, tmp_path: Path, sqlite_url: str, make_settings: Callable[..., Settings]
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    settings = _settings(redis_key_prefix=prefix, lease_ttl_seconds=2.0)
    redis_a, redis_b = create_redis(redis_url), create_redis(redis_url)
    db_a = Database(make_settings(database_url=sqlite_url))
    db_b = Database(make_settings(database_url=sqlite_url))
    a = TradingRuntime(database=db_a, settings=settings, publisher=LocalPublisher(), redis=redis_a)
    b = TradingRuntime(database=db_b, settings=settings, publisher=LocalPublisher(), redis=redis_b)
    try:
        await a.start()
        await asyncio.wait_for(a.leading.wait(), 5)
        await b.start()
        await asyncio.sleep(0.5)
        assert not b.leading.is_set()  # one holder per deployment

        # Ingested by B, applied by A through the Redis feed.
        await b.pipeline.ingest(
            1, b.pipeline.parse_body(body(tick("t1", 0, last=10, size=2, base=NOW())))
        )

        def volume_of(runtime: TradingRuntime) -> float:
            collectors = runtime.collectors(1)
            state = collectors.market.symbols.get("AAPL") if collectors else None
            return state.volume if state else 0.0

        await _eventually(lambda: volume_of(a) == 2, timeout=15)

        await a.stop()  # the holder goes away; B takes over and rebuilds from the database
        await asyncio.wait_for(b.leading.wait(), 15)
        assert volume_of(b) == 2
        await a.pipeline.ingest(
            1, a.pipeline.parse_body(body(tick("t2", 1, last=11, size=3, base=NOW())))
        )
        await _eventually(lambda: volume_of(b) == 5, timeout=15)
    finally:
        await a.stop()
        await b.stop()
        await redis_a.delete(f"{prefix}trading:feed", f"{prefix}trading:lease")
        await redis_a.aclose()
        await redis_b.aclose()
        await db_a.dispose()
        await db_b.dispose()
