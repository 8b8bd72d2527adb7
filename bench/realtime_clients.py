"""A process of benchmark subscribers: connects, reports ``ready``, records receive times until
told to stop on stdin, then prints one JSON object of per-phase latencies and per-message
first/last receive times.

Subscribers speak just enough WebSocket (RFC 6455, no extensions) to read the server's frames
with a few microseconds of CPU each: the processes share the machine with the server, and a
heavier client library would measure its own cost rather than the server's. Times are
``time.monotonic_ns()``, one system-wide clock on Linux, comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import re
import socket
import sys
import time
from array import array
from collections import defaultdict
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.realtime_app import BENCH_CHANNEL, BENCH_TOKEN, FLOOD_CHANNEL

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


def _masked_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A client frame (clients must mask); payloads here stay under 64 KiB."""
    mask = os.urandom(4)
    length = len(payload)
    first = 0x80 | opcode
    if length < 126:
        header = bytes([first, 0x80 | length])
    else:
        header = bytes([first, 0xFE]) + length.to_bytes(2)
    key = int.from_bytes((mask * (length // 4 + 1))[:length])
    masked = (int.from_bytes(payload) ^ key).to_bytes(length)
    return header + mask + masked


class SubscriberProtocol(asyncio.Protocol):
    """Reads unmasked server frames; records the bench fields of every text frame."""

    def __init__(self, results: Results) -> None:
        self.results = results
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
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
            elif opcode == 0x9 and self.transport is not None:  # the server's keepalive ping
                self.transport.write(_masked_frame(buffer[start : start + length], 0xA))
            elif opcode == 0x8:
                self.closed = True
            buffer = buffer[start + length :]
        self.buffer = buffer


async def _subscriber(port: int, results: Results) -> asyncio.Transport:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: SubscriberProtocol(results), "127.0.0.1", port
    )
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(30):
        await protocol.upgraded
    transport.write(_masked_frame(json.dumps({"op": "auth", "token": BENCH_TOKEN}).encode()))
    subscribe = {"op": "subscribe", "channel": BENCH_CHANNEL}
    transport.write(_masked_frame(json.dumps(subscribe).encode()))
    return transport  # type: ignore[return-value]


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
        wave = [_subscriber(port, results) for _ in range(min(50, clients - start))]
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
