"""Just enough WebSocket (RFC 6455, no extensions) for benchmark subscribers.

Reading the server's frames costs a few microseconds of CPU each: subscriber processes share the
machine with the server they measure, and a heavier client library would measure its own cost
rather than the server's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Callable
from typing import Protocol

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Recorder(Protocol):
    def record(self, payload: bytes, now: int) -> None:
        """One text frame's payload, and the clock's reading when it arrived."""


def masked_frame(payload: bytes, opcode: int = TEXT) -> bytes:
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
    """Reads unmasked server frames, hands text frames to ``results``, answers pings."""

    def __init__(self, results: Recorder, clock: Callable[[], int]) -> None:
        self.results = results
        self.clock = clock
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = self.clock()
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
            if opcode == TEXT:
                self.results.record(buffer[start : start + length], now)
            elif opcode == PING and self.transport is not None:  # the server's keepalive
                self.transport.write(masked_frame(buffer[start : start + length], PONG))
            elif opcode == CLOSE:
                self.closed = True
            buffer = buffer[start + length :]
        self.buffer = buffer


async def subscribe(
    port: int,
    token: str,
    channel: str,
    results: Recorder,
    *,
    clock: Callable[[], int] = time.monotonic_ns,
    timeout: float = 30.0,
) -> asyncio.Transport:
    """Open ``/ws`` on 127.0.0.1, authenticate with ``token`` and subscribe to ``channel``."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: SubscriberProtocol(results, clock), "127.0.0.1", port
    )
    nonce = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(timeout):
        await protocol.upgraded
    transport.write(masked_frame(json.dumps({"op": "auth", "token": token}).encode()))
    transport.write(masked_frame(json.dumps({"op": "subscribe", "channel": channel}).encode()))
    return transport
