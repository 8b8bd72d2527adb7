"""A lean HTTP/1.1 load generator (keep-alive connections, closed or open loop).

It speaks just enough HTTP to send a JSON POST and read a response with a Content-Length or a
chunked body, so that on a small machine the generator does not steal the CPU it measures.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    headers: dict[str, str]


def build_request(target: Target, body: dict[str, object]) -> bytes:
    payload = json.dumps(body).encode()
    lines = [
        f"POST {target.path} HTTP/1.1",
        f"host: {target.host}:{target.port}",
        "content-type: application/json",
        f"content-length: {len(payload)}",
        *(f"{name}: {value}" for name, value in target.headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, raw: bytes) -> int:
        """Send one request, read the whole response; returns the status code."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked = None, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def open_connections(host: str, port: int, count: int) -> list[Connection]:
    return list(await asyncio.gather(*(Connection.open(host, port) for _ in range(count))))


async def closed_loop(
    target: Target, body: dict[str, object], concurrency: int, duration: float, warmup: float
) -> tuple[list[float], float]:
    """``concurrency`` clients back to back; returns latencies (s) and requests/s."""
    raw = build_request(target, body)
    connections = await open_connections(target.host, target.port, concurrency)
    latencies: list[float] = []
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration

    async def client(connection: Connection) -> None:
        while True:
            begin = time.perf_counter()
            if begin >= stop_at:
                return
            status = await connection.exchange(raw)
            end = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"status {status}")
            if begin >= measure_from:
                latencies.append(end - begin)

    await asyncio.gather(*(client(c) for c in connections))
    for connection in connections:
        connection.close()
    return latencies, len(latencies) / duration


async def open_loop(
    target: Target, body: dict[str, object], rate: float, duration: float, pool: int
) -> list[float]:
    """Requests scheduled at a fixed rate; latency counts from the scheduled moment."""
    raw = build_request(target, body)
    connections = await open_connections(target.host, target.port, pool)
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        free.put_nowait(connection)
    latencies: list[float] = []
    start = time.perf_counter() + 0.05
    count = int(rate * duration)

    async def one(index: int) -> None:
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        connection = await free.get()
        try:
            status = await connection.exchange(raw)
        finally:
            free.put_nowait(connection)
        if status != 200:
            raise RuntimeError(f"status {status}")
        latencies.append(time.perf_counter() - scheduled)

    await asyncio.gather(*(one(i) for i in range(count)))
    for connection in connections:
        connection.close()
    return latencies


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
