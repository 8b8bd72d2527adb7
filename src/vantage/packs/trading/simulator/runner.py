"""Running the simulator: live at wall-clock time, or a backfill of the past, into any sink."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from pydantic import TypeAdapter

from vantage.packs.trading.ingest.events import Event
from vantage.packs.trading.simulator.engine import Simulator

logger = structlog.get_logger("vantage.trading.simulator")

Sink = Callable[[list[Event]], Awaitable[None]]
LIVE_STEP_SECONDS = 0.1
_EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


async def run_live(
    simulator: Simulator,
    sink: Sink,
    stop: asyncio.Event,
    duration: float | None = None,
    step: float = LIVE_STEP_SECONDS,
) -> int:
    """Feed events as time passes until ``stop`` is set (or ``duration`` seconds); returns count."""
    loop = asyncio.get_running_loop()
    began = previous = loop.time()
    wall = datetime.now(UTC)
    sent = 0
    while not stop.is_set() and (duration is None or loop.time() - began < duration):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), step)
        now = loop.time()
        events = simulator.advance(wall + timedelta(seconds=now - began), now - previous)
        previous = now
        if events:
            try:
                await sink(events)
                sent += len(events)
            except Exception:
                logger.exception("simulator could not deliver events; continuing")
    return sent


async def backfill(
    simulator: Simulator,
    sink: Sink,
    start: datetime,
    end: datetime,
    *,
    batch_size: int = 5000,
    step_seconds: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Simulate [start, end) in steps and deliver it in batches; returns the event count."""
    total_steps = max(1, int((end - start).total_seconds() / step_seconds))
    buffer: list[Event] = []
    sent = 0
    at = start
    for done in range(1, total_steps + 1):
        following = min(at + timedelta(seconds=step_seconds), end)
        buffer.extend(simulator.advance(following, (following - at).total_seconds()))
        at = following
        if len(buffer) >= batch_size or done == total_steps:
            await sink(buffer)
            sent += len(buffer)
            buffer = []
        if progress is not None and (done % 60 == 0 or done == total_steps):
            progress(done, total_steps)
    return sent


def http_sink(client: httpx.AsyncClient, api_key: str, max_batch: int = 5000) -> Sink:
    """Post events to a running server's ``/api/v1/trading/events`` with an ingest API key."""

    async def send(events: list[Event]) -> None:
        for start in range(0, len(events), max_batch):
            body = {"events": _EVENTS.dump_python(events[start : start + max_batch], mode="json")}
            response = await client.post(
                "/api/v1/trading/events", json=body, headers={"X-API-Key": api_key}
            )
            if response.status_code >= 400:
                raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")

    return send
