"""A process of ``trading.metrics`` subscribers for the trading benchmark.

Connects N WebSockets (API-key auth), subscribes, prints ``ready``, then records for every
snapshot the time from the snapshot's own ``ts`` (taken just before the server publishes it) to
its arrival, until a line on stdin; prints one JSON object of latencies (µs) and counts.

Speaks just enough WebSocket (RFC 6455) to read server frames with a few microseconds of CPU
each: it shares the machine with the server it measures. Times are wall-clock nanoseconds of
the one host both processes run on.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import re
import sys
import time
from datetime import datetime

_SNAPSHOT_TS = re.compile(rb'"data":\{"ts":"([^"]+)"')


def _masked_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    header = (
        bytes([0x80 | opcode, 0x80 | length])
        if length < 126
        else (bytes([0x80 | opcode, 0xFE]) + length.to_bytes(2))
    )
    key = int.from_bytes((mask * (length // 4 + 1))[:length])
    return header + mask + (int.from_bytes(payload) ^ key).to_bytes(length)


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


class Subscriber(asyncio.Protocol):
    def __init__(self, results: Results) -> None:
        self.results = results
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        buffer = self.buffer + data
        if not self.upgraded.done():
            head, separator, buffer = buffer.partition(b"\r\n\r\n")
            if not separator:
                self.buffer = head
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self.upgraded.set_result(None)
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4]), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + length:
                break
            if opcode == 0x1:
                self.results.record(buffer[start : start + length], now)
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(_masked_frame(buffer[start : start + length], 0xA))
            buffer = buffer[start + length :]
        self.buffer = buffer


async def _subscribe(port: int, key: str, results: Results) -> asyncio.Transport:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: Subscriber(results), "127.0.0.1", port
    )
    nonce = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(60):
        await protocol.upgraded
    transport.write(_masked_frame(json.dumps({"op": "auth", "token": key}).encode()))
    subscribe = {"op": "subscribe", "channel": "trading.metrics"}
    transport.write(_masked_frame(json.dumps(subscribe).encode()))
    return transport  # type: ignore[return-value]


async def run(port: int, key: str, clients: int, seconds: float) -> None:
    results = Results()
    transports: list[asyncio.Transport] = []
    for start in range(0, clients, 50):  # connect in waves
        wave = [_subscribe(port, key, results) for _ in range(min(50, clients - start))]
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
