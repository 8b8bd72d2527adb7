"""``vantage trading ...``: run the simulator against a server or the database; run retention."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import typer
from rich.console import Console

from vantage.config import load_settings
from vantage.core.db import Database
from vantage.packs.trading.ingest.events import Event
from vantage.packs.trading.ingest.recorder import TradingRecorder
from vantage.packs.trading.jobs.retention import run_retention
from vantage.packs.trading.settings import TradingSettings
from vantage.packs.trading.simulator.engine import Simulator
from vantage.packs.trading.simulator.runner import Sink, backfill, http_sink, run_live

cli = typer.Typer(help="Trading observability: the market simulator and maintenance.")
console = Console(stderr=True)


def _symbols(value: str | None, settings: TradingSettings) -> list[str]:
    if not value:
        return list(settings.simulator_symbols)
    return [symbol.strip() for symbol in value.split(",") if symbol.strip()]


async def _simulate_into(
    sink: Sink, simulator: Simulator, duration: float | None, backfill_hours: float
) -> int:
    sent = 0
    if backfill_hours > 0:
        now = datetime.now(UTC)
        with console.status(f"Simulating the last {backfill_hours:g} h"):
            sent += await backfill(simulator, sink, now - timedelta(hours=backfill_hours), now)
        console.print(f"Backfilled {sent} events")
    if duration == 0:
        return sent
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for received in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(received, stop.set)
    console.print("Simulating live; Ctrl-C stops")
    sent += await run_live(simulator, sink, stop, duration)
    return sent


async def _to_database(
    simulator: Simulator, tenant: int, duration: float | None, backfill_hours: float
) -> int:
    async with TradingRecorder.open(tenant_id=tenant) as recorder:

        async def sink(events: list[Event]) -> None:
            for event in events:
                await recorder.put(event)

        sent = await _simulate_into(sink, simulator, duration, backfill_hours)
        stats = await recorder.flush()
    console.print(f"Stored {stats.accepted} new events ({stats.refused} refused)")
    return sent


async def _to_server(
    simulator: Simulator, url: str, api_key: str, duration: float | None, backfill_hours: float
) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        return await _simulate_into(http_sink(client, api_key), simulator, duration, backfill_hours)


@cli.command()
def simulate(
    url: Annotated[
        str | None, typer.Option(help="Post to this server's ingest API instead of the database")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key with the ingest scope (or VANTAGE_API_KEY)")
    ] = None,
    symbols: Annotated[str | None, typer.Option(help="Comma list of symbols")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed, for a repeatable run")] = None,
    ticks_per_second: Annotated[float, typer.Option(min=0.1, max=10_000)] = 20.0,
    duration: Annotated[
        float | None, typer.Option(help="Seconds to run live (0: backfill only); default: forever")
    ] = None,
    backfill_hours: Annotated[
        float, typer.Option(min=0, max=24 * 30, help="First simulate this many past hours")
    ] = 0.0,
    tenant: Annotated[int, typer.Option(min=1, help="Tenant (database mode)")] = 1,
) -> None:
    """Run the market simulator (GBM prices, two strategies, a venue) into Vantage."""
    settings = TradingSettings()
    simulator = Simulator(_symbols(symbols, settings), seed, ticks_per_second)
    if url:
        key = api_key or os.environ.get("VANTAGE_API_KEY")
        if not key:
            console.print("[red]--api-key (or VANTAGE_API_KEY) is needed with --url[/red]")
            raise typer.Exit(2)
        sent = asyncio.run(_to_server(simulator, url, key, duration, backfill_hours))
    else:
        sent = asyncio.run(_to_database(simulator, tenant, duration, backfill_hours))
    console.print(f"Simulator sent {sent} events")


@cli.command()
def retention() -> None:
    """Delete trading data past its retention now (the scheduled job does this every 10 min)."""

    async def run() -> dict[str, int]:
        database = Database(load_settings())
        try:
            report = await run_retention(database, TradingSettings(), datetime.now(UTC))
        finally:
            await database.dispose()
        return report.as_dict()

    for name, count in asyncio.run(run()).items():
        console.print(f"{name}: {count} deleted")
