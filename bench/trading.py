"""Trading benchmark: prints one JSON line.

- ingest in-process: the recorder API next to a running runtime (collectors included), timed
  from the first ``recorder.tick()`` until the collectors have applied every event;
- ingest over HTTP: 5,000-event batches posted to a real ``vantage serve`` (one worker);
- ``/metrics/current`` requests per second on that worker (API-key auth, rate limiter on);
- WebSocket end-to-end latency of ``trading.metrics`` at 10 Hz for 100/500/1,000 clients.

Run: ``python -m bench.trading`` (SQLite in a temporary directory; ``--events`` to resize).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.db import Database, utcnow
from vantage.core.heap import serving_heap
from vantage.core.models import import_all_models
from vantage.packs.trading.channels import LocalPublisher
from vantage.packs.trading.runtime import TradingRuntime
from vantage.packs.trading.settings import TradingSettings

TARGETS = {
    "ingest_in_process_events_per_s": 50_000,
    "ingest_http_batch_events_per_s": 20_000,
    "metrics_current_requests_per_s": 3_000,
    "ws_500_p99_ms": 25,
    "ws_1000_p99_ms": 50,
}
BATCH = 5000
CONCURRENCY = 1
SYMBOLS = ["AAPL", "MSFT", "NVDA", "EURUSD", "BTCUSD"]
JWT_SECRET = "bench-secret-" + "x" * 40
REPOSITORY = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def event_dicts(count: int, run: str) -> list[dict[str, Any]]:
    """A realistic mix: quotes with trade prints, and an order plus its fill every 100 events."""
    start = datetime.now(UTC) - timedelta(seconds=count / 10_000)
    events: list[dict[str, Any]] = []
    n = 0
    while len(events) < count:
        ts = (start + timedelta(microseconds=100 * n)).isoformat()
        symbol = SYMBOLS[n % len(SYMBOLS)]
        price = 100 + (n % 97) / 100
        if n % 100 == 99:
            order_id = f"{run}-o{n}"
            side = "buy" if (n // 100) % 2 == 0 else "sell"
            events.append(
                {
                    "type": "order",
                    "id": f"{run}-s{n}",
                    "ts": ts,
                    "order_id": order_id,
                    "status": "submitted",
                    "strategy": "bench",
                    "symbol": symbol,
                    "side": side,
                    "qty": "10",
                    "arrival_mid": str(price),
                }
            )
            events.append(
                {
                    "type": "fill",
                    "id": f"{run}-f{n}",
                    "ts": ts,
                    "order_id": order_id,
                    "qty": "10",
                    "price": str(price),
                    "fee": "0.01",
                }
            )
        else:
            events.append(
                {
                    "type": "tick",
                    "id": f"{run}-t{n}",
                    "ts": ts,
                    "symbol": symbol,
                    "bid": price - 0.01,
                    "ask": price + 0.01,
                    "last": price,
                    "size": n % 3,
                }
            )
        n += 1
    return events[:count]


def _settings(directory: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{directory / 'vantage.db'}",
        data_dir=directory,
        jwt_secret=JWT_SECRET,
        log_level="WARNING",
    )


def _prepare_database(directory: Path) -> Settings:
    directory.mkdir(parents=True, exist_ok=True)
    settings = _settings(directory)
    migrations.upgrade(settings.effective_database_url)
    return settings


async def bench_in_process(directory: Path, count: int) -> float:
    settings = await asyncio.to_thread(_prepare_database, directory)
    import_all_models()
    database = Database(settings)
    runtime = TradingRuntime(
        database=database,
        settings=TradingSettings(_env_file=None, simulator=False),
        publisher=LocalPublisher(),
        data_dir=directory,
    )
    try:
        # As in a served worker, once startup is done.
        with serving_heap(settings.gc_young_threshold):
            async with runtime.running():
                await asyncio.wait_for(runtime.leading.wait(), 30)
                rates = []
                for attempt, size in enumerate((count // 10, count)):
                    rates.append(await _record(runtime, size, f"warm{attempt}"))
                return rates[-1]
    finally:
        await database.dispose()


async def _record(runtime: TradingRuntime, count: int, run: str) -> float:
    started = time.perf_counter()
    async with runtime.recorder(1, batch_size=BATCH, concurrency=CONCURRENCY) as recorder:
        base = datetime.now(UTC) - timedelta(seconds=count / 10_000)
        step = timedelta(microseconds=100)
        for n in range(count):
            ts = base + step * n
            symbol = SYMBOLS[n % len(SYMBOLS)]
            price = 100 + (n % 97) / 100
            if n % 100 == 99:
                order_id = f"{run}-o{n}"
                recorder.order(
                    order_id,
                    "submitted",
                    ts=ts,
                    strategy="bench",
                    symbol=symbol,
                    side="buy" if (n // 100) % 2 == 0 else "sell",
                    qty="10",
                    arrival_mid=str(price),
                )
                recorder.fill(order_id, "10", str(price), "0.01", ts=ts)
            else:
                recorder.tick(symbol, price - 0.01, price + 0.01, price, n % 3, ts=ts)
            if n % 1000 == 999:
                await asyncio.sleep(0)  # an engine yields to its event loop now and then
        stats = await recorder.flush()
    recorded = stats.recorded
    while runtime.gate.applied.get(1, 0) < stats.version:  # noqa: ASYNC110 - until applied
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - started
    if stats.refused:
        raise RuntimeError(
            f"{stats.refused} benchmark events were refused: {list(recorder.errors)[:3]}"
        )
    return recorded / elapsed


async def _api_keys(settings: Settings) -> tuple[str, str]:
    import_all_models()
    database = Database(settings)
    try:
        keys = []
        for scopes in ([Scope.INGEST], [Scope.READ]):
            async with database.transaction() as session:
                created = await api_key_service.create_api_key(
                    session,
                    tenant_id=1,
                    name="bench",
                    scopes=scopes,
                    expires_at=None,
                    created_by_id=None,
                    now=utcnow(),
                )
            keys.append(created.key)
        return keys[0], keys[1]
    finally:
        await database.dispose()


@contextmanager
def server(directory: Path, settings: Settings, extra_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "VANTAGE_DATABASE_URL": settings.effective_database_url,
        "VANTAGE_DATA_DIR": str(directory),
        "VANTAGE_JWT_SECRET": JWT_SECRET,
        "VANTAGE_PACKS": "trading",
        "VANTAGE_LOG_LEVEL": "WARNING",
        "VANTAGE_RATE_LIMIT_ENABLED": "false",
        "VANTAGE_TRADING_SIMULATOR": "false",
        **(extra_env or {}),
    }
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "vantage", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the benchmark server did not start; see server.log")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _load(*arguments: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.trading_load", *arguments],
        check=False,
        capture_output=True,
        cwd=REPOSITORY,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.decode()[-2000:]}")
    return dict(json.loads(done.stdout))


def bench_http(directory: Path, count: int) -> dict[str, float]:
    settings = _prepare_database(directory)
    ingest_key, read_key = asyncio.run(_api_keys(settings))
    bodies = directory / "bodies.jsonl"
    events = event_dicts(count, "http")
    with bodies.open("w") as out:
        for start in range(0, len(events), BATCH):
            out.write(json.dumps({"events": events[start : start + BATCH]}) + "\n")
    warm = directory / "warm.jsonl"
    warm.write_text(json.dumps({"events": event_dicts(BATCH, "warm")}) + "\n")
    with server(directory, settings) as port:
        common = ["--port", str(port)]
        _load("post", *common, "--key", ingest_key, "--bodies", str(warm), "--connections", "1")
        posted = _load(
            "post", *common, "--key", ingest_key, "--bodies", str(bodies), "--connections", "2"
        )
        if posted["failures"]:
            raise RuntimeError(f"ingest failed: {posted['failures']}")
        time.sleep(1.0)  # let the collectors publish snapshots of what was ingested
        got = _load("get", *common, "--key", read_key, "--connections", "32", "--seconds", "5")
        if got["failed"]:
            raise RuntimeError(f"{got['failed']} /metrics/current requests failed")
    return {
        "ingest_http_batch_events_per_s": posted["events"] / posted["seconds"],
        "metrics_current_requests_per_s": got["requests"] / got["seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    arguments = parser.parse_args()
    results: dict[str, Any] = {}
    load_at_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="vantage-trading-bench-") as temporary:
        root = Path(temporary)
        results["ingest_in_process_events_per_s"] = asyncio.run(
            bench_in_process(root / "in-process", arguments.events)
        )
        results.update(bench_http(root / "http", arguments.events))
        results["websocket"] = websocket_results(root / "ws")
    rounded = {
        key: round(value) if isinstance(value, float) else value for key, value in results.items()
    }
    rounded["targets"] = TARGETS
    rounded["events"] = arguments.events
    rounded["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_at_start": load_at_start,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }
    rounded["setup"] = (
        "SQLite file; server: vantage serve, 1 worker, rate limits off, log level WARNING; "
        "/metrics/current and WebSocket clients use an API key; simulator on for the WebSocket "
        "part only"
    )
    print(json.dumps(rounded))


def websocket_results(directory: Path) -> dict[str, Any]:
    try:
        from bench.trading_ws import bench_websocket
    except ImportError as error:
        return {"skipped": f"realtime hub not available: {error}"}
    return bench_websocket(directory)


if __name__ == "__main__":
    main()
