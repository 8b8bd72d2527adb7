"""A process of ``trading.metrics`` subscribers for the trading benchmark.

Connects N WebSockets (API-key auth), subscribes, prints ``ready``, then records for every
snapshot the time from the snapshot's own ``ts`` (taken just before the server publishes it) to
its arrival, until a line on stdin; prints one JSON object of latencies (µs) and counts.

Speaks the lean WebSocket of ``bench.ws_wire``. Times are wall-clock nanoseconds of the one host
both processes run on.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import sys
import time
from datetime import datetime

from bench.ws_wire import subscribe

METRICS_CHANNEL = "trading.metrics"
_SNAPSHOT_TS = re.compile(rb'"data":\{"ts":"([^"]+)"')


class Results:
    def __init__(self) -> None:
        self.latencies_us: list[int] = []
        self.messages = 0
        self.recording = False

    def record(self, payload: bytes, now_ns: int) -> None:
        found = _SNAPSHOT_TS.search(payload, 0, 200)
        if found is None or not self.recording:
            return
        sent = datetime.fromisoformat(found.group(1).decode().replace("Z", "+00:00"))
        self.latencies_us.append((now_ns - int(sent.timestamp() * 1e9)) // 1000)
        self.messages += 1


async def run(port: int, key: str, clients: int, seconds: float) -> None:
    results = Results()
    transports: list[asyncio.Transport] = []
    for start in range(0, clients, 50):  # connect in waves
        wave = [
            subscribe(port, key, METRICS_CHANNEL, results, clock=time.time_ns, timeout=60)
            for _ in range(min(50, clients - start))
        ]
        transports.extend(await asyncio.gather(*wave))
    await asyncio.sleep(1.0)  # every subscription live before the clock starts
    results.recording = True
    began = time.monotonic()
    await asyncio.sleep(seconds)
    results.recording = False
    elapsed = time.monotonic() - began
    for transport in transports:
        transport.abort()
    ordered = sorted(results.latencies_us)

    def quantile(q: float) -> float | None:
        if not ordered:
            return None
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    print(
        json.dumps(
            {
                "clients": clients,
                "messages": results.messages,
                "per_client_per_second": results.messages / clients / elapsed,
                "p50_ms": quantile(0.5),
                "p99_ms": quantile(0.99),
                "max_ms": ordered[-1] / 1000 if ordered else None,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    arguments = parser.parse_args()
    gc.disable()  # a collector pause here would be measured as the server's
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(arguments.port, arguments.key, arguments.clients, arguments.seconds))
    else:
        uvloop.run(run(arguments.port, arguments.key, arguments.clients, arguments.seconds))
    sys.exit(0)


if __name__ == "__main__":
    main()
