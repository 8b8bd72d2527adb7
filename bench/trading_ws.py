"""The WebSocket part of the trading benchmark: ``trading.metrics`` to 100/500/1,000 clients.

A real ``vantage serve`` (one worker) runs the bundled simulator, so every 100 ms the snapshot it
publishes is a full one (5 symbols, 2 strategies, execution, system) while it ingests; a client
process subscribes N sockets and measures, for every snapshot it receives, the time from the
snapshot's own timestamp (taken just before the publish) to its arrival.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.trading import REPOSITORY, _api_keys, _prepare_database, server

CLIENT_COUNTS = (100, 500, 1000)
SECONDS = 5.0


def _clients(port: int, key: str, count: int) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bench.trading_ws_clients",
            "--port",
            str(port),
            "--key",
            key,
            "--clients",
            str(count),
            "--seconds",
            str(SECONDS),
        ],
        check=False,
        capture_output=True,
        cwd=REPOSITORY,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"WebSocket clients failed: {done.stderr.decode()[-2000:]}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def bench_websocket(directory: Path) -> dict[str, Any]:
    settings = _prepare_database(directory)
    _, read_key = asyncio.run(_api_keys(settings))
    simulated = {"VANTAGE_TRADING_SIMULATOR": "true", "VANTAGE_TRADING_SIMULATOR_SEED": "7"}
    results: dict[str, Any] = {}
    with server(directory, settings, simulated) as port:
        for count in CLIENT_COUNTS:
            measured = _clients(port, read_key, count)
            results[str(count)] = {
                "p50_ms": measured["p50_ms"],
                "p99_ms": measured["p99_ms"],
                "max_ms": measured["max_ms"],
                "snapshots_per_client_per_s": round(measured["per_client_per_second"], 2),
            }
    return results
