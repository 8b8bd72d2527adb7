"""The in-process API, retention, and the CLI commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.packs.trading.support import Recorder, tick
from vantage.cli import build_cli
from vantage.core.db import Database
from vantage.packs.trading.domain.bars import HOUR, MINUTE, SECOND
from vantage.packs.trading.ingest.recorder import BufferFull, TradingRecorder
from vantage.packs.trading.jobs.retention import run_retention
from vantage.packs.trading.models import Bar, Fill, LogLine, Order, RawEvent
from vantage.packs.trading.pack import create_pack
from vantage.packs.trading.settings import TradingSettings


async def test_the_recorder_stores_everything_it_was_given(
    recorder: Recorder, database: Database
) -> None:
    async with TradingRecorder(recorder.pipeline, 1, batch_size=100) as engine:
        for _ in range(250):
            engine.tick("AAPL", 100.0, 100.5, last=100.25, size=1)
        engine.order("o1", "submitted", strategy="alpha", symbol="AAPL", side="buy", qty="3")
        engine.fill("o1", "3", "100.5", fee="0.01")
        engine.fill("o1", "1", "100.5")  # an overfill: refused, kept in errors
        engine.heartbeat("engine", queue=3)
        engine.log("info", "engine", "started", version="1.2")
        engine.strategy_update("alpha", status="running", signals={"AAPL": 0.3})
        stats = await engine.flush()
    assert (stats.recorded, stats.accepted, stats.refused) == (256, 255, 1)
    assert [error.loc for error in engine.errors] == [["qty"]]
    assert stats.version == max(batch.version for batch in recorder.batches)
    async with database.reader() as session:
        trades = await session.scalar(select(func.sum(Bar.count)).where(Bar.resolution == HOUR))
        fills = await session.scalar(select(func.count()).select_from(Fill))
    assert trades and fills == 1


async def test_the_recorder_refuses_to_grow_without_bound(recorder: Recorder) -> None:
    engine = TradingRecorder(recorder.pipeline, 1, max_pending=3)
    for _ in range(3):
        engine.tick("AAPL", 1.0, 1.1)
    with pytest.raises(BufferFull):
        engine.tick("AAPL", 1.0, 1.1)
    async with engine:
        pass  # closing stores what was queued
    assert engine.stats.accepted == 3


async def test_retention_keeps_each_resolution_its_time(
    recorder: Recorder, database: Database
) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    await recorder.send(
        tick("old", 0, last=10, size=1, base=old),
        tick("new", 0, last=11, size=1, base=now),
        {
            "type": "log",
            "id": "l-old",
            "ts": old.isoformat(),
            "level": "info",
            "component": "c",
            "message": "m",
        },
    )
    report = await run_retention(database, recorder.settings, now + timedelta(hours=25))
    async with database.reader() as session:
        kept = {
            resolution: await session.scalar(
                select(func.count()).select_from(Bar).where(Bar.resolution == resolution)
            )
            for resolution in (SECOND, MINUTE, HOUR)
        }
        ids = await session.scalar(select(func.count()).select_from(RawEvent))
        logs = await session.scalar(select(func.count()).select_from(LogLine))
    # 1 s bars and event ids are raw data (24 h); minute and hour bars outlive them.
    minute_bars, hour_bars = kept[MINUTE], kept[HOUR]
    assert minute_bars is not None and hour_bars is not None  # COUNT(*) always has a row
    assert kept[SECOND] == 0 and minute_bars > 0 and hour_bars > 0
    assert ids == 0 and logs == 0
    assert report.second_bars > 0 and report.raw_events == 3
    later = await run_retention(database, recorder.settings, now + timedelta(days=400))
    assert later.hour_bars > 0 and later.minute_bars > 0


def test_the_pack_schedules_retention() -> None:
    pack = create_pack(TradingSettings(_env_file=None))
    assert [(s.cron, s.kind) for s in pack.schedules] == [("*/10 * * * *", "trading.retention")]
    assert "trading.retention" in pack.jobs


def test_simulate_writes_a_backfill_to_the_database(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    cli = build_cli({"trading": create_pack()})
    result = runner.invoke(
        cli,
        [
            "trading",
            "simulate",
            "--duration",
            "0",
            "--backfill-hours",
            "0.05",
            "--seed",
            "5",
            "--symbols",
            "AAPL,MSFT",
            "--ticks-per-second",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Stored" in result.output and "0 refused" in result.output
    retention = runner.invoke(cli, ["trading", "retention"])
    assert retention.exit_code == 0 and "raw_events: 0 deleted" in retention.output


async def test_orders_survive_while_their_trades_are_kept(
    recorder: Recorder, database: Database
) -> None:
    from tests.packs.trading.support import fill, order

    now = datetime.now(UTC)
    await recorder.send(order("s", "o1", 0, base=now), fill("f", "o1", 1, "100", "1", base=now))
    await run_retention(database, recorder.settings, now + timedelta(days=30))
    async with database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
