"""Realtime fan-out benchmark: ``python -m bench.realtime --clients N``.

Starts one server process (``uvicorn``, memory backend unless ``--redis URL``), N WebSocket
subscribers in separate client processes, and one publisher sending 1 KiB messages at 10 Hz over
the WebSocket publish op. Phases alternate: baseline, then the same with one more subscriber
that never reads, ``--rounds`` times. Prints one JSON line: end-to-end latency (publisher send to
subscriber receive) and fan-out spread (first to last subscriber receiving one message)
percentiles for each kind of phase, the server's own publish-to-send histogram and CPU use, and
how much the healthy clients' p99 moved while the stalled client was connected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.realtime_app import BENCH_CHANNEL, BENCH_TOKEN, FLOOD_CHANNEL

ROOT = Path(__file__).resolve().parents[1]
WARMUP_SECONDS = 1.0
CLIENTS_PER_PROCESS = 250
SEND_TIMEOUT_SECONDS = 2.0  # the server's; shorter than a phase so the stall is seen in one
FLOOD_BYTES = 48 * 1024
FLOOD_MESSAGES = 100  # more than the kernel buffers a stalled socket (about 4 MB on Linux)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values_us: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values_us, 0.50) / 1000, 2),
        "p99": round(percentile(values_us, 0.99) / 1000, 2),
        "max": round(max(values_us, default=float("nan")) / 1000, 2),
    }


def start_server(
    sock: socket.socket, redis_url: str | None, data_dir: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VANTAGE_DATA_DIR": data_dir,
        "VANTAGE_LOG_LEVEL": "WARNING",
        "VANTAGE_REALTIME_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT_SECONDS),
        "VANTAGE_REALTIME_MAX_INBOUND_BYTES": str(2 * FLOOD_BYTES),
    }
    env.pop("VANTAGE_REDIS_URL", None)
    if redis_url:
        env["VANTAGE_REDIS_URL"] = redis_url
        env["VANTAGE_REALTIME_REDIS_PREFIX"] = redis_prefix()
    command = [sys.executable, "-m", "uvicorn", "bench.realtime_app:create_bench_app", "--factory"]
    command += ["--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, cwd=ROOT, env=env, pass_fds=[sock.fileno()])  # noqa: S603


def redis_prefix() -> str:
    return f"vbench:{os.getpid()}:"


def forget_redis_keys(url: str) -> None:
    """The benchmark's channels expire on their own; delete them now all the same."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{redis_prefix()}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def start_clients(port: int, count: int, slow: bool) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bench.realtime_clients", "--port", str(port)]
    command += ["--clients", str(count)]
    command += ["--slow"] if slow else []
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


async def wait_ready(processes: list[subprocess.Popen[str]]) -> None:
    loop = asyncio.get_running_loop()
    for process in processes:
        assert process.stdout is not None
        line = await loop.run_in_executor(None, process.stdout.readline)
        if line.strip() != "ready":
            raise RuntimeError(f"a client process failed to start: {line!r}")


async def wait_live(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(400):
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def publish(
    port: int, phase: int, seconds: float, rate: float, size: int, first_seq: int
) -> int:
    """Publish at ``rate`` Hz for ``seconds``; returns the next sequence number."""
    async with connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
        await ws.send(json.dumps({"op": "auth", "token": BENCH_TOKEN}))
        acks = asyncio.create_task(_drain(ws))
        pad = "x" * max(0, size - 160)  # the whole message frame is about ``size`` bytes
        interval = 1 / rate
        start = time.monotonic()
        seq = first_seq
        for tick in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, start + tick * interval - time.monotonic()))
            data = {"seq": seq, "phase": phase, "sent_ns": time.monotonic_ns(), "pad": pad}
            await ws.send(json.dumps({"op": "publish", "channel": BENCH_CHANNEL, "data": data}))
            seq += 1
        await asyncio.sleep(1.0)  # let the last messages arrive
        acks.cancel()
    return seq


async def flood(port: int) -> None:
    """Fill the stalled client's buffers (it alone subscribes to the flood channel)."""
    async with connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
        await ws.send(json.dumps({"op": "auth", "token": BENCH_TOKEN}))
        for n in range(FLOOD_MESSAGES):
            data = {"n": n, "pad": "x" * FLOOD_BYTES}
            await ws.send(json.dumps({"op": "publish", "channel": FLOOD_CHANNEL, "data": data}))
            await ws.recv()


async def slow_consumer_disconnects(port: int) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        text = (await http.get("/metrics")).text
    prefix = 'vantage_realtime_slow_consumer_disconnects_total{transport="ws"} '
    return next(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


async def _drain(ws: Any) -> None:
    async for _ in ws:
        pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def delivery_buckets(port: int) -> dict[float, float]:
    """The server's publish-to-send histogram (cumulative counts by upper bound)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        text = (await http.get("/metrics")).text
    buckets = {}
    for line in text.splitlines():
        if (
            line.startswith("vantage_realtime_delivery_latency_seconds_bucket{")
            and 'transport="ws"' in line
        ):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def bucket_percentiles(before: dict[float, float], after: dict[float, float]) -> dict[str, float]:
    """Upper bounds (ms) of the buckets holding the p50 and p99 of the sends in between."""
    counts = {bound: after.get(bound, 0) - before.get(bound, 0) for bound in after}
    total = counts.get(float("inf"), 0)
    found: dict[str, float] = {}
    for name, share in (("p50_le", 0.5), ("p99_le", 0.99)):
        bound = next(
            (b for b in sorted(counts) if total and counts[b] >= share * total), float("nan")
        )
        found[name] = round(bound * 1000, 2)
    return found


def collect(processes: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    results = []
    for process in processes:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("stop\n")
        process.stdin.flush()
        results.append(json.loads(process.stdout.readline()))
        process.wait(timeout=30)
    return results


@dataclass
class Phase:
    number: int
    stalled: bool
    seqs: range
    buckets: tuple[dict[float, float], dict[float, float]]
    server_cpu: float
    subscribers_cpu: float


def pooled_report(
    results: list[dict[str, Any]], phases: list[Phase], clients: int, warmup: int, seconds: float
) -> dict[str, Any]:
    """Latencies of all the given phases together, each phase's first second left out."""
    latencies: list[float] = []
    spreads: list[float] = []
    by_phase: list[float] = []
    delivered = 0
    for phase in phases:
        kept = set(range(phase.seqs.start + warmup, phase.seqs.stop))
        pairs = [pair for r in results for pair in r["latencies_us"].get(str(phase.number), [])]
        delivered += len(pairs)
        measured = [us for seq, us in pairs if seq in kept]
        by_phase.append(round(percentile(measured, 0.99) / 1000, 2))
        latencies += measured
        for seq in kept:
            spans = [span for r in results if (span := r["first_last"].get(str(seq)))]
            if spans:
                spreads.append((max(s[1] for s in spans) - min(s[0] for s in spans)) / 1000)
    before = {
        bound: sum(p.buckets[0].get(bound, 0) for p in phases) for bound in phases[0].buckets[1]
    }
    after = {
        bound: sum(p.buckets[1].get(bound, 0) for p in phases) for bound in phases[0].buckets[1]
    }
    elapsed = len(phases) * (seconds + 1)
    return {
        "e2e_ms": summary_ms(latencies),
        "e2e_p99_ms_by_phase": by_phase,
        "fanout_spread_ms": summary_ms(spreads),
        "server_publish_to_send_ms": bucket_percentiles(before, after),
        "server_cpu_share": round(sum(p.server_cpu for p in phases) / elapsed, 2),
        "subscribers_cpu_share": round(sum(p.subscribers_cpu for p in phases) / elapsed, 2),
        "delivered": delivered,
        "expected": clients * sum(len(p.seqs) for p in phases),
    }


async def run_phases(
    args: argparse.Namespace, port: int, server: subprocess.Popen[bytes], clients: list[Any]
) -> tuple[list[Phase], list[int]]:
    """Rounds of (baseline, with a stalled client), interleaved so that changes in the
    machine's load over time affect both the same way."""
    phases: list[Phase] = []
    stalled_closes: list[int] = []
    seq = 0
    for number in range(1, 2 * args.rounds + 1):
        stalled = number % 2 == 0
        stalled_process = start_clients(port, 1, not args.control) if stalled else None
        if stalled_process is not None:
            await wait_ready([stalled_process])
            if not args.control:
                await flood(port)
        dropped = await slow_consumer_disconnects(port)
        before = await delivery_buckets(port)
        server_cpu = cpu_seconds(server.pid)
        subscribers_cpu = sum(cpu_seconds(process.pid) for process in clients)
        next_seq = await publish(port, number, args.seconds, args.rate, args.size, seq)
        phases.append(
            Phase(
                number,
                stalled,
                range(seq, next_seq),
                (before, await delivery_buckets(port)),
                cpu_seconds(server.pid) - server_cpu,
                sum(cpu_seconds(process.pid) for process in clients) - subscribers_cpu,
            )
        )
        seq = next_seq
        if stalled_process is not None:
            collect([stalled_process])
            stalled_closes.append(int(await slow_consumer_disconnects(port) - dropped))
    return phases, stalled_closes


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(sock, args.redis, data_dir)
        clients: list[subprocess.Popen[str]] = []
        try:
            await wait_live(port)
            for start in range(0, args.clients, CLIENTS_PER_PROCESS):
                count = min(CLIENTS_PER_PROCESS, args.clients - start)
                clients.append(start_clients(port, count, False))
            await wait_ready(clients)
            phases, stalled_closes = await run_phases(args, port, server, clients)
            results = collect(clients)
        finally:
            processes: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = [*clients, server]
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            server.wait(timeout=30)
            if args.redis:
                forget_redis_keys(args.redis)
    warmup = int(WARMUP_SECONDS * args.rate)
    baseline = pooled_report(
        results, [p for p in phases if not p.stalled], args.clients, warmup, args.seconds
    )
    with_stalled = pooled_report(
        results, [p for p in phases if p.stalled], args.clients, warmup, args.seconds
    )
    with_stalled["slow_consumer_disconnects_by_phase"] = stalled_closes
    change = with_stalled["e2e_ms"]["p99"] / baseline["e2e_ms"]["p99"] - 1
    return {
        "bench": "realtime",
        "backend": "redis" if args.redis else "memory",
        "clients": args.clients,
        "rate_hz": args.rate,
        "message_bytes": args.size,
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
        "control": args.control,
        "server_send_timeout_seconds": SEND_TIMEOUT_SECONDS,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "baseline": baseline,
        "with_stalled_client": with_stalled,
        "healthy_p99_change_pct": round(change * 100, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=3, help="baseline/stalled phase pairs")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second")
    parser.add_argument("--size", type=int, default=1024, help="message frame bytes")
    parser.add_argument("--redis", default=None, help="Redis URL: run on the Redis backend")
    parser.add_argument(
        "--control",
        action="store_true",
        help="the extra client of every second phase reads normally (an A/A run: the noise)",
    )
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
