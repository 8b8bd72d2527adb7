"""How commerce reads grow with the data: the same reads on two databases, alternating.

    python -m bench.commerce_scaling --small 1000000 --large 10000000 [--requests 200]

Both databases are those of earlier ``bench.commerce --orders N`` runs in ``--workdir`` (SQLite).
One worker serves each; every request to one is followed by the same request to the other, so a
drift of the machine weighs on both alike. Prints one JSON line: p50 of each read at both sizes
and the large / small ratio (target <= 1.3: reads come from rollups, not from the orders).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from bench.commerce import Server, _api_key, _percentiles
from bench.compare import ratio

READS = {
    "dashboard": "/api/v1/commerce/dashboard",
    "revenue_365d": "/api/v1/commerce/revenue?days=365&granularity=day",
    "customers_top": "/api/v1/commerce/customers?limit=20",
}
TARGET = 1.3


def _url(workdir: Path, orders: int) -> str:
    path = workdir / f"commerce-{orders}.db"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run python -m bench.commerce --orders {orders} first")
    return f"sqlite+aiosqlite:///{path}"


def _alternate(clients: list[httpx.Client], path: str, runs: int) -> list[list[float]]:
    samples: list[list[float]] = [[] for _ in clients]
    for client in clients:
        client.get(path).raise_for_status()  # warm
    for _ in range(runs):
        for index, client in enumerate(clients):
            began = time.perf_counter()
            client.get(path).raise_for_status()
            samples[index].append(time.perf_counter() - began)
    return samples


def measure(workdir: Path, small: int, large: int, runs: int) -> dict[str, Any]:
    urls = [_url(workdir, small), _url(workdir, large)]
    keys = [asyncio.run(_api_key(url)) for url in urls]
    servers = [Server(url, workdir) for url in urls]
    reads: dict[str, Any] = {}
    try:
        for server in servers:
            server.wait_ready()
        clients = [
            httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=60)
            for server, key in zip(servers, keys, strict=True)
        ]
        for name, path in READS.items():
            small_samples, large_samples = _alternate(clients, path, runs)
            small_p50, large_p50 = _percentiles(small_samples)[0], _percentiles(large_samples)[0]
            reads[name] = {"small_p50_ms": small_p50, "large_p50_ms": large_p50,
                           "large_over_small": ratio(large_p50, small_p50)}  # fmt: skip
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.stop()
    met = all((read["large_over_small"] or 99) <= TARGET for read in reads.values())
    return {"bench": "commerce_scaling", "small_orders": small, "large_orders": large,
            "requests": runs, "reads": reads, "target": TARGET, "met": met}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workdir", default=".vantage/bench")
    args = parser.parse_args()
    result = measure(Path(args.workdir), args.small, args.large, args.requests)
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
