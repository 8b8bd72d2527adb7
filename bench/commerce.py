"""Commerce benchmark: ingest throughput and read latency at N orders; prints one JSON line.

    python -m bench.commerce --orders 1000000 [--database-url postgresql+asyncpg://...]

1. writes a CSV of N generated orders (cached in --workdir) and imports it with the real file
   importer (rollups maintained in every batch's transaction): orders/s by file import; on
   SQLite also ``facts_only_floor`` (``bench.commerce_floor``): orders/s of reading the file
   alone and of writing its orders and lines alone into the same tables with plain
   ``executemany``, bounds no import with rollups can beat on this machine;
2. starts one uvicorn worker on the database and POSTs further batches of 10,000 orders:
   orders/s through the API;
3. measures p50/p95 of the dashboard (last 30 days), revenue (365 days, daily), the first and a
   deep keyset page of customers, and products, each computed afresh (response cache off);
4. runs the dashboard's aggregation naively over the raw orders and lines, for the ratio;
5. counts 304 revalidations per second answered by the worker (several client connections);
6. unless ``--no-peer``, loads the same file into DuckDB (``bench.commerce_duckdb``) and follows
   every dashboard, revenue and top-customers request with the same question asked of DuckDB;
   ``ratios`` (``bench.commerce_peer``) gives Vantage's p50 over DuckDB's and the file import
   over the facts-only floor, with their targets.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.commerce_duckdb import DuckDBPeer
from bench.commerce_floor import facts_only
from bench.commerce_peer import peer_report
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.db import Database, utcnow
from vantage.core.pagination import CursorCodec
from vantage.packs.commerce.demo import DemoGenerator
from vantage.packs.commerce.ingest.files import FileFormat, ImportPlan
from vantage.packs.commerce.ingest.rows import ColumnMap
from vantage.packs.commerce.service.importer import import_file

SECRET = "bench-secret-" + "x" * 40
HEADER = ["order_id", "customer_id", "country", "placed_at", "status", "product_id",
          "product_name", "quantity", "unit_price"]  # fmt: skip
API_BATCH = 10_000


def _price(minor: int) -> str:
    return f"{minor // 10_000}.{minor % 10_000:04d}".rstrip("0").rstrip(".") or "0"


def write_orders_csv(path: Path, generator: DemoGenerator) -> None:
    """The generated orders, one line per order line."""
    names = generator.product_names
    countries = generator.catalog.customers
    draft = path.with_suffix(".partial")
    with draft.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for order in generator:
            customer = order.customer_id or ""
            country = countries[customer][1] if customer else ""
            stamp = order.placed_at.isoformat()
            writer.writerows(
                (order.id, customer, country, stamp, order.status, product, names[product],
                 quantity, _price(price))
                for product, quantity, price in order.lines
            )  # fmt: skip
    draft.rename(path)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 2), round(p95 * 1000, 2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(url: str) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, _env_file=None)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _database_url(args: argparse.Namespace, workdir: Path) -> str:
    base: str | None = args.database_url
    if base:
        return base.rsplit("/", 1)[0] + f"/vantage_bench_{args.orders}"
    return f"sqlite+aiosqlite:///{workdir / f'commerce-{args.orders}.db'}"


async def _prepare_database(args: argparse.Namespace, workdir: Path) -> str:
    base: str | None = args.database_url
    if base:
        import asyncpg

        admin = base.replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(admin)
        name = f"vantage_bench_{args.orders}"
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        url = base.rsplit("/", 1)[0] + "/" + name
    else:
        path = workdir / f"commerce-{args.orders}.db"
        _remove_sqlite_files(path)
        url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrations.upgrade, url)
    return url


def _csv_plan(csv_path: Path) -> ImportPlan:
    return ImportPlan(path=csv_path, format=FileFormat.CSV, columns=ColumnMap.build(None, {}))


async def _file_import(url: str, csv_path: Path) -> dict[str, Any]:
    database = Database(_settings(url))
    plan = _csv_plan(csv_path)
    began = time.perf_counter()
    report = await import_file(database, 1, plan, default_currency="USD")
    elapsed = time.perf_counter() - began
    await database.dispose()
    return {"orders": report.orders, "lines": report.lines, "seconds": round(elapsed, 1),
            "orders_per_s": round(report.orders / elapsed)}  # fmt: skip


async def _api_key(url: str) -> str:
    database = Database(_settings(url))
    async with database.transaction() as session:
        created = await api_key_service.create_api_key(
            session, tenant_id=1, name="bench", scopes=[Scope.READ, Scope.INGEST],
            expires_at=None, created_by_id=None, now=utcnow(),
        )  # fmt: skip
    await database.dispose()
    return created.key


async def _deep_cursor(url: str, depth: float) -> tuple[str, int]:
    """A customers cursor ``depth`` of the way down the -ltv order, as a client would hold."""
    database = Database(_settings(url))
    async with database.reader() as session:
        total = int(await session.scalar(text("SELECT COUNT(*) FROM commerce_customer_stats")))
        row = (
            await session.execute(
                text(
                    "SELECT ltv_minor, customer_id FROM commerce_customer_stats WHERE tenant_id = 1"
                    " ORDER BY ltv_minor DESC, customer_id DESC LIMIT 1 OFFSET :o"
                ),
                {"o": int(total * depth)},
            )
        ).one()
    await database.dispose()
    cursor = CursorCodec(SECRET).encode("commerce.customers:-ltv:all", [row[0], row[1]])
    return cursor, total


NAIVE = """
SELECT o.status, COUNT(DISTINCT o.id), SUM(l.quantity * l.unit_price_minor), SUM(l.quantity)
FROM commerce_orders o JOIN commerce_order_lines l ON l.order_id = o.id
WHERE o.tenant_id = 1 AND o.placed_at >= :start AND o.placed_at < :end GROUP BY o.status;
SELECT l.product_id, SUM(l.quantity * l.unit_price_minor) AS revenue
FROM commerce_orders o JOIN commerce_order_lines l ON l.order_id = o.id
WHERE o.tenant_id = 1 AND o.status = 'completed' AND o.placed_at >= :start AND o.placed_at < :end
GROUP BY l.product_id ORDER BY revenue DESC LIMIT 5;
SELECT o.day, COUNT(*), COUNT(DISTINCT o.customer_id) FROM commerce_orders o
WHERE o.tenant_id = 1 AND o.placed_at >= :start AND o.placed_at < :end GROUP BY o.day
"""


async def _naive_dashboard(url: str, runs: int) -> list[float]:
    """The dashboard's figures straight from orders and lines (no rollups), timed."""
    database = Database(_settings(url))
    end = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    start = end - timedelta(days=30)
    sqlite = database.dialect == "sqlite"
    bounds = {
        "start": start.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else start,
        "end": end.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else end,
    }
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        async with database.reader() as session:
            for statement in NAIVE.split(";"):
                (await session.execute(text(statement), bounds)).all()
        samples.append(time.perf_counter() - began)
    await database.dispose()
    return samples


class Server:
    """One uvicorn worker serving the benchmark database."""

    def __init__(self, url: str, workdir: Path, *, response_cache: bool = False) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "VANTAGE_DATABASE_URL": url,
            "VANTAGE_JWT_SECRET": SECRET,
            "VANTAGE_DATA_DIR": str(workdir / "data"),
            "VANTAGE_PACKS": "commerce",
            "VANTAGE_RESPONSE_CACHE_TTL_SECONDS": "60" if response_cache else "0",
            "VANTAGE_RATE_LIMIT_ENABLED": "false",
            "VANTAGE_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "uvicorn", "vantage.app:create_app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
             "--no-access-log", "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _api_ingest(server: Server, key: str, generator: DemoGenerator, batches: int) -> dict[str, Any]:
    """POST ``batches`` batches of new orders; orders/s including JSON and HTTP."""
    names = generator.product_names
    payloads = []
    iterator = iter(generator)
    for _ in range(batches):
        orders = []
        for order in (next(iterator) for _ in range(API_BATCH)):
            orders.append({
                "id": "API-" + order.id, "customer_id": order.customer_id,
                "placed_at": order.placed_at.isoformat(), "status": order.status,
                "lines": [{"product_id": p, "product_name": names[p], "quantity": q,
                           "unit_price": _price(price)} for p, q, price in order.lines],
            })  # fmt: skip
        payloads.append(json.dumps({"orders": orders}).encode())
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with httpx.Client(base_url=server.base, timeout=300) as client:
        began = time.perf_counter()
        for payload in payloads:
            response = client.post("/api/v1/commerce/orders", content=payload, headers=headers)
            response.raise_for_status()
        elapsed = time.perf_counter() - began
    return {"orders": batches * API_BATCH, "seconds": round(elapsed, 2),
            "orders_per_s": round(batches * API_BATCH / elapsed)}  # fmt: skip


def _ask(peer: DuckDBPeer | None, question: str) -> Callable[[], None] | None:
    return peer.question(question) if peer is not None else None


def _latency(
    server: Server, key: str, path: str, runs: int, peer: Callable[[], None] | None = None
) -> dict[str, Any]:
    """p50/p95 of ``path``; with a ``peer``, the same question asked of it after every request
    (alternating, so that the machine's drift weighs on both alike) and the ratio of p50s."""
    samples: list[float] = []
    peer_samples: list[float] = []
    with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=60) as client:
        client.get(path).raise_for_status()  # warm the caches once
        if peer is not None:
            peer()
        for _ in range(runs):
            began = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - began)
            response.raise_for_status()
            if peer is not None:
                began = time.perf_counter()
                peer()
                peer_samples.append(time.perf_counter() - began)
    p50, p95 = _percentiles(samples)
    found: dict[str, Any] = {"p50_ms": p50, "p95_ms": p95}
    if peer_samples:
        peer_p50, peer_p95 = _percentiles(peer_samples)
        found["duckdb"] = {"p50_ms": peer_p50, "p95_ms": peer_p95}
        found["p50_over_duckdb"] = round(p50 / peer_p50, 4) if peer_p50 else None
    return found


async def _revalidations(
    server: Server, key: str | None, path: str, seconds: float, clients: int
) -> int:
    """Answers per second to ``clients`` keep-alive connections revalidating ``path``.

    With a key: conditional requests that must be 304; without: plain requests (the floor of
    the HTTP stack, e.g. ``/health/live``).
    """
    if key is None:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        expected = b"HTTP/1.1 200"
    else:
        first = await asyncio.to_thread(httpx.get, server.base + path, headers={"X-API-Key": key})
        etag = first.headers["etag"]
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
            f"If-None-Match: {etag}\r\n\r\n"
        ).encode()
        expected = b"HTTP/1.1 304"
    counts = [0] * clients
    deadline = time.monotonic() + seconds

    async def one(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(expected):
                raise RuntimeError(head.decode(errors="replace"))
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")),
                0,
            )  # fmt: skip
            if length:
                await reader.readexactly(length)
            counts[index] += 1
        writer.close()

    began = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(clients)))
    return round(sum(counts) / (time.monotonic() - began))


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    generator_args = {"orders": args.orders, "days": args.days, "products": args.products}
    csv_path = workdir / f"orders-{args.orders}-{args.days}-{args.products}.csv"
    began = time.perf_counter()
    if not await asyncio.to_thread(csv_path.exists):
        write_orders_csv(csv_path, DemoGenerator(**generator_args, seed=11))
    generate_seconds = round(time.perf_counter() - began, 1)
    file_import: dict[str, Any] | None = None
    api: dict[str, Any] | None = None
    if args.reuse:  # the database of an earlier run: measure the reads only
        url = _database_url(args, workdir)
    else:
        url = await _prepare_database(args, workdir)
        file_import = await _file_import(url, csv_path)
        if not args.database_url:
            file_import["facts_only_floor"] = await asyncio.to_thread(
                facts_only, _csv_plan(csv_path), workdir
            )
    key = await _api_key(url)
    peer = DuckDBPeer(csv_path) if args.peer else None
    server = Server(url, workdir)
    try:
        server.wait_ready()
        if not args.reuse:
            extra = DemoGenerator(orders=API_BATCH * args.api_batches, days=30,
                                  products=args.products, seed=99)  # fmt: skip
            api = _api_ingest(server, key, extra, args.api_batches)
        cursor, customers = await _deep_cursor(url, 0.9)
        reads = {
            "dashboard": _latency(
                server, key, "/api/v1/commerce/dashboard", args.requests, _ask(peer, "dashboard")
            ),
            "revenue_365d": _latency(
                server, key, "/api/v1/commerce/revenue?days=365&granularity=day", args.requests,
                _ask(peer, "revenue_365d"),
            ),
            "customers_top": _latency(
                server, key, "/api/v1/commerce/customers?limit=20", args.requests,
                _ask(peer, "customers_top"),
            ),
            "customers_deep_page": _latency(
                server, key, f"/api/v1/commerce/customers?limit=20&cursor={cursor}", args.requests
            ),
            "products": _latency(server, key, "/api/v1/commerce/products", args.requests),
            "products_30d": _latency(
                server, key, "/api/v1/commerce/products?days=30", args.requests
            ),
        }  # fmt: skip
        not_modified = await _revalidations(
            server, key, "/api/v1/commerce/dashboard", args.revalidate_seconds, args.clients
        )
        floor = await _revalidations(
            server, None, "/health/live", args.revalidate_seconds, args.clients
        )
    finally:
        server.stop()
        if peer is not None:
            peer.close()
    # The default deployment keeps computed answers in the response cache (keyed by ETag).
    cached_server = Server(url, workdir, response_cache=True)
    try:
        cached_server.wait_ready()
        reads["dashboard_cached"] = _latency(
            cached_server, key, "/api/v1/commerce/dashboard", args.requests
        )
    finally:
        cached_server.stop()
    naive = _percentiles(await _naive_dashboard(url, args.naive_runs))
    dashboard_p50 = reads["dashboard"]["p50_ms"]
    return {
        "bench": "commerce",
        "database": "postgresql" if args.database_url else "sqlite",
        "orders": args.orders + (api["orders"] if api else API_BATCH * args.api_batches),
        "customers_with_purchases": customers,
        "products": args.products,
        "days": args.days,
        "generate_seconds": generate_seconds,
        "ingest_file": file_import,
        "ingest_api": api,
        "reads": reads,
        "naive_dashboard": {"p50_ms": naive[0], "p95_ms": naive[1]},
        "naive_over_rollup_p50": round(naive[0] / dashboard_p50, 1) if dashboard_p50 else None,
        "revalidations_304_per_s": not_modified,
        "health_live_per_s": floor,
        "revalidation_clients": args.clients,
        "python": sys.version.split()[0],
        **peer_report(peer, file_import, reads, args.orders),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--products", type=int, default=3_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite file)")
    parser.add_argument("--workdir", default=".vantage/bench")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--api-batches", type=int, default=5)
    parser.add_argument("--naive-runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--revalidate-seconds", type=float, default=5.0)
    parser.add_argument(
        "--reuse", action="store_true", help="Measure reads on the database of an earlier run"
    )
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="Leave DuckDB out")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(asyncio.run(run(args, workdir)), separators=(",", ":")))


if __name__ == "__main__":
    main()
