"""A process of benchmark subscribers: connects, reports ``ready``, records receive times until
told to stop on stdin, then prints one JSON object of per-phase latencies and per-message
first/last receive times.

Subscribers speak the lean WebSocket of ``bench.ws_wire``. Times are ``time.monotonic_ns()``, one
system-wide clock on Linux, comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import socket
import sys
from array import array
from collections import defaultdict
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.realtime_app import BENCH_CHANNEL, BENCH_TOKEN, FLOOD_CHANNEL
from bench.ws_wire import subscribe

_FIELDS = re.compile(rb'"seq":(\d+),"phase":(\d+),"sent_ns":(\d+)')


class Results:
    """Flat integer arrays: nothing here is tracked by the garbage collector, whose pauses in a
    subscriber process would otherwise show up as server latency."""

    def __init__(self) -> None:
        self.latencies_us: dict[int, array[int]] = defaultdict(lambda: array("q"))
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}

    def record(self, payload: bytes, now: int) -> None:
        found = _FIELDS.search(payload)
        if found is None:
            return  # subscribed, pong ...
        seq, phase, sent_ns = (int(value) for value in found.groups())
        self.latencies_us[phase].extend((seq, (now - sent_ns) // 1000))
        self.first.setdefault(seq, now)
        self.last[seq] = now

    def as_dict(self) -> dict[str, Any]:
        return {
            "latencies_us": {
                phase: [values[i : i + 2].tolist() for i in range(0, len(values), 2)]
                for phase, values in self.latencies_us.items()
            },
            "first_last": {seq: [first, self.last[seq]] for seq, first in self.first.items()},
        }


async def _stalled(port: int) -> ClientConnection:
    """A subscriber that never reads: small receive buffer, one-frame client queue."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    ws = await connect(f"ws://127.0.0.1:{port}/ws", sock=sock, max_queue=1, compression=None)
    await ws.send(json.dumps({"op": "auth", "token": BENCH_TOKEN}))
    await ws.send(json.dumps({"op": "subscribe", "channel": BENCH_CHANNEL}))
    await ws.send(json.dumps({"op": "subscribe", "channel": FLOOD_CHANNEL}))
    return ws


async def _close_code_of(ws: ClientConnection) -> int | None:
    """Drain what the stalled client buffered, to see how the server closed it."""
    try:
        async with asyncio.timeout(10):
            async for _ in ws:
                pass
    except (TimeoutError, ConnectionClosed):
        pass
    return ws.close_code


async def run(port: int, clients: int, slow: bool) -> None:
    results = Results()
    stalled = await _stalled(port) if slow else None
    transports = []
    for start in range(0, clients if not slow else 0, 50):  # connect in waves
        wave = [
            subscribe(port, BENCH_TOKEN, BENCH_CHANNEL, results)
            for _ in range(min(50, clients - start))
        ]
        transports.extend(await asyncio.gather(*wave))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    slow_close = await _close_code_of(stalled) if stalled is not None else None
    for transport in transports:
        transport.abort()
    print(json.dumps({**results.as_dict(), "slow_close": slow_close}), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--slow", action="store_true")
    args = parser.parse_args(argv)
    # Everything this process keeps lives to its end and holds no cycles; a collector pause
    # would be measured as if the server had been slow.
    gc.disable()
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(args.port, args.clients, args.slow))
    else:
        uvloop.run(run(args.port, args.clients, args.slow))


if __name__ == "__main__":
    main()
