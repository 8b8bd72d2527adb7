"""The WebSocket part of the trading benchmark: ``trading.metrics`` to 100/500/1,000 clients.

A real ``vantage serve`` (one worker) runs the bundled simulator, so every 100 ms the snapshot it
publishes is a full one (5 symbols, 2 strategies, execution, system) while it ingests; a client
process subscribes N sockets and measures, for every snapshot it receives, the time from the
snapshot's own timestamp (taken just before the publish) to its arrival. The counts alternate
in rounds, and the 1,000-client p99 is reported against the 100-client p99 of the same run.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.compare import ratio
from bench.trading import REPOSITORY, _api_keys, _prepare_database, server

CLIENT_COUNTS = (100, 500, 1000)
SECONDS = 5.0
# 100, 500, 1,000 then 1,000, 500, 100: a drift of the machine weighs on every count alike.
ROUNDS = 2
P99_GROWTH_TARGET = 2.0


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


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2)


def bench_websocket(directory: Path, rounds: int = ROUNDS) -> dict[str, Any]:
    """Every client count in each round, the order reversed every round; figures are the mean
    over rounds, and ``p99_1000_over_100`` compares the largest count with the smallest."""
    settings = _prepare_database(directory)
    _, read_key = asyncio.run(_api_keys(settings))
    simulated = {"VANTAGE_TRADING_SIMULATOR": "true", "VANTAGE_TRADING_SIMULATOR_SEED": "7"}
    measured: dict[int, list[dict[str, Any]]] = {count: [] for count in CLIENT_COUNTS}
    with server(directory, settings, simulated) as port:
        for number in range(rounds):
            order = CLIENT_COUNTS if number % 2 == 0 else tuple(reversed(CLIENT_COUNTS))
            for count in order:
                measured[count].append(_clients(port, read_key, count))
    results: dict[str, Any] = {}
    for count, runs in measured.items():
        results[str(count)] = {
            "p50_ms": _mean([run["p50_ms"] for run in runs]),
            "p99_ms": _mean([run["p99_ms"] for run in runs]),
            "p99_ms_by_round": [run["p99_ms"] for run in runs],
            "max_ms": max(run["max_ms"] for run in runs),
            "snapshots_per_client_per_s": _mean([run["per_client_per_second"] for run in runs]),
        }
    small, large = str(CLIENT_COUNTS[0]), str(CLIENT_COUNTS[-1])
    growth = ratio(results[large]["p99_ms"], results[small]["p99_ms"])
    results["p99_1000_over_100"] = growth
    results["p99_1000_over_100_target"] = P99_GROWTH_TARGET
    results["p99_1000_over_100_met"] = growth is not None and growth <= P99_GROWTH_TARGET
    return results
