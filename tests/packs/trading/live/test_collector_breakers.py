"""Circuit breakers around the collectors: a collector that keeps failing is isolated, retried
with exponential backoff, and reported; the others and the 10 Hz stream carry on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, NoReturn

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.packs.trading.test_metrics_socket import dashboard_server
from tests.support.realtime import receive
from vantage.config import Settings
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.breaker import BreakerState, CircuitBreaker
from vantage.packs.trading.live.collectors.market import MarketCollector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _boom() -> NoReturn:
    raise RuntimeError("feed parser broke")


def test_the_breaker_opens_after_the_threshold_and_backs_off_exponentially() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, backoff=1.0, max_backoff=3.0, clock=clock)
    for _ in range(2):
        assert breaker.allows()
        breaker.failed()
    assert breaker.state is BreakerState.CLOSED
    breaker.failed()
    assert breaker.status().state is BreakerState.OPEN
    assert not breaker.allows()
    assert breaker.status().next_retry_at is not None

    clock.now += 1.0
    assert breaker.allows() and breaker.status().state is BreakerState.HALF_OPEN
    breaker.failed()  # the trial failed: open again, for twice as long
    clock.now += 1.5
    assert not breaker.allows()
    clock.now += 0.5
    assert breaker.allows()
    breaker.failed()
    clock.now += 3.0  # capped at max_backoff, not 4 s
    assert breaker.allows()
    breaker.succeeded()
    assert breaker.status().state is BreakerState.CLOSED
    assert breaker.status().failures == 5 and breaker.status().consecutive_failures == 0


def test_a_guarded_collector_counts_errors_and_falls_back() -> None:
    collector = Collector(CircuitBreaker(failure_threshold=2, clock=Clock()))
    collector.start()

    answers = [collector.guarded(_boom, lambda: "fallback") for _ in range(4)]

    assert answers == ["fallback"] * 4
    report = collector.report()
    assert report.status == "isolated" and not report.ready
    assert report.statistics.errors == 2 and report.statistics.skipped == 2
    assert report.statistics.last_error == "RuntimeError: feed parser broke"
    collector.stop()
    assert collector.status() == "stopped"


async def test_a_failing_collector_is_isolated_and_the_stream_keeps_its_rate(
    make_settings: Callable[..., Settings], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_snapshot(self: MarketCollector) -> Any:
        raise RuntimeError("market collector broke")

    monkeypatch.setattr(MarketCollector, "snapshot", broken_snapshot)
    async with dashboard_server(
        make_settings, sqlite_url, collector_breaker_backoff_seconds=30
    ) as (server, token):
        async with connect(f"ws://127.0.0.1:{server.port}/ws/metrics", open_timeout=5) as ws:
            await ws.send(json.dumps({"token": token}))
            snapshots: list[dict[str, Any]] = []
            began = time.monotonic()
            while time.monotonic() - began < 2.0:
                frame = await receive(ws, within=3)
                if "sequence" in frame:
                    snapshots.append(frame)
        async with httpx.AsyncClient(base_url=server.http_url) as api:
            components = await api.get(
                "/api/v1/trading/system/components", headers={"Authorization": f"Bearer {token}"}
            )

    assert len(snapshots) >= 12, len(snapshots)  # about 20 at 10 Hz; generous for busy machines
    latest = snapshots[-1]
    assert latest["market"] == []  # the broken collector's part is empty, the rest is there
    assert latest["system"]["events_total"] >= 1
    assert components.status_code == 200, components.text
    collectors = {entry["name"]: entry for entry in components.json()["collectors"]}
    assert set(collectors) == {"market", "strategy", "execution", "system"}
    market = collectors["market"]
    assert market["status"] == "isolated" and market["ready"] is False
    assert market["breaker"]["state"] == "open"
    assert market["breaker"]["failures"] >= 3
    assert market["breaker"]["next_retry_at"] is not None
    assert market["statistics"]["errors"] >= 3
    assert "market collector broke" in market["statistics"]["last_error"]
    for name in ("strategy", "execution", "system"):
        assert collectors[name]["breaker"]["state"] == "closed", name
        assert collectors[name]["statistics"]["errors"] == 0, name
        assert collectors[name]["statistics"]["calls"] >= 12, name


def test_successes_between_failures_reset_the_count_only_after_a_quiet_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, backoff=1.0, clock=clock)
    for _ in range(2):
        breaker.failed()
        clock.now += 0.1
        breaker.succeeded()  # another kind of call works in between
    assert breaker.consecutive_failures == 2
    clock.now += 1.0
    breaker.succeeded()
    assert breaker.consecutive_failures == 0 and breaker.state is BreakerState.CLOSED
