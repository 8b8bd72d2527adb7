"""Demo data: simulated trading days, then the live simulator in the server ``vantage demo``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from vantage.core.packs import DemoContext
from vantage.core.watermarks import read_watermark
from vantage.packs.trading.ingest.events import Event
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.settings import TradingSettings
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.runner import backfill

# (past sessions, minutes of each past session, hours leading up to now)
SCALES = {"small": (3, 10, 0.5), "medium": (20, 30, 4.0), "large": (60, 30, 12.0)}
DEMO_MARKER = "trading-demo-simulator"


def demo_marker(data_dir: Path) -> Path:
    """A file in the data directory that switches the live simulator on (unless the setting
    ``VANTAGE_TRADING_SIMULATOR`` says otherwise): the server ``vantage demo`` starts next."""
    return data_dir / DEMO_MARKER


async def load_demo(context: DemoContext) -> str:
    """Backfill simulated history (once per database) and switch the live simulator on."""
    marker = demo_marker(context.settings.data_dir)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("vantage demo: the trading simulator runs in the server\n")
    async with context.database.reader() as session:
        existing = await read_watermark(session, context.tenant_id, "trading")
    if existing.version:
        return "kept the existing trading data; the live simulator runs in the server"
    settings = TradingSettings()
    pipeline = IngestPipeline(context.database, settings)
    simulator = Simulator(settings.simulator_symbols, settings.simulator_seed, 10.0)
    days, session_minutes, recent_hours = SCALES[context.scale]
    now = datetime.now(UTC).replace(microsecond=0)
    windows = [
        (start, start + timedelta(minutes=session_minutes))
        for start in (now - timedelta(days=day, hours=3) for day in range(days, 0, -1))
    ]
    windows.append((now - timedelta(hours=recent_hours), now))
    total = sum(int((end - start).total_seconds()) for start, end in windows)
    done = 0
    sent = 0

    async def sink(events: list[Event]) -> None:
        await pipeline.ingest_events(context.tenant_id, events)

    for start, end in windows:
        offset = done

        def progress(step: int, steps: int, offset: int = offset) -> None:
            context.progress(offset + step, total)

        sent += await backfill(simulator, sink, start, end, progress=progress)
        done += int((end - start).total_seconds())
    context.progress(total, total)
    return (
        f"{sent} simulated events over {days} past sessions and the last {recent_hours:g} h "
        f"({', '.join(settings.simulator_symbols)}); the live simulator runs in the server"
    )
