"""Load generators of the trading benchmark, run in a process of their own.

``get``: keep-alive HTTP/1.1 GET loops on N connections for D seconds; prints the completed
request count. ``post``: posts prepared JSON bodies, C at a time; prints events per second.
A few lines of asyncio streams rather than a client library, so the generator spends its CPU
on the wire, not on itself (it shares the machine with the server it measures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _get_loop(host: str, port: int, path: str, key: str, stop_at: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {key}\r\nAccept: */*\r\n\r\n"
    ).encode()
    done = failed = 0
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        writer.write(request)
        status = await _read_response(reader)
        if status == 200:
            done += 1
        else:
            failed += 1
    writer.close()
    return done, failed


async def run_get(
    host: str, port: int, path: str, key: str, connections: int, seconds: float
) -> None:
    loop = asyncio.get_running_loop()
    # Warm the connections and the server's caches before the clock starts.
    await asyncio.gather(
        *(_get_loop(host, port, path, key, loop.time() + 0.5) for _ in range(connections))
    )
    began = time.perf_counter()
    stop_at = loop.time() + seconds
    results = await asyncio.gather(
        *(_get_loop(host, port, path, key, stop_at) for _ in range(connections))
    )
    elapsed = time.perf_counter() - began
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    print(json.dumps({"requests": done, "failed": failed, "seconds": elapsed}))


async def _post_worker(
    host: str, port: int, key: str, bodies: list[bytes], failures: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    for body in bodies:
        writer.write(
            (
                "POST /api/v1/trading/events HTTP/1.1\r\n"
                f"Host: {host}\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        status = await _read_response(reader)
        if status != 200:
            failures.append(str(status))
    writer.close()


async def run_post(host: str, port: int, key: str, lines: list[bytes], concurrency: int) -> None:
    events = sum(len(json.loads(line)["events"]) for line in lines)
    shares = [lines[index::concurrency] for index in range(concurrency)]
    failures: list[str] = []
    began = time.perf_counter()
    await asyncio.gather(*(_post_worker(host, port, key, share, failures) for share in shares))
    elapsed = time.perf_counter() - began
    print(json.dumps({"events": events, "seconds": elapsed, "failures": failures[:5]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["get", "post"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--path", default="/api/v1/trading/metrics/current")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--bodies", type=Path)
    arguments = parser.parse_args()
    if arguments.mode == "get":
        job = run_get(
            arguments.host,
            arguments.port,
            arguments.path,
            arguments.key,
            arguments.connections,
            arguments.seconds,
        )
    else:
        if arguments.bodies is None:
            sys.exit("--bodies is required for post")
        lines = arguments.bodies.read_bytes().splitlines()
        job = run_post(arguments.host, arguments.port, arguments.key, lines, arguments.connections)
    asyncio.run(job)


if __name__ == "__main__":
    main()
