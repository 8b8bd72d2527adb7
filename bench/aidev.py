"""Aidev benchmark: trace ingest rates and read latency at two sizes; prints one JSON line.

    python -m bench.aidev [--small 100000 --large 1000000] [--quick] [--database-url ...]

1. writes N LiteLLM payloads (JSON lines, 50 developers over 90 days) and imports them with
   the real importer (dedupe, pricing, sessions and the daily rollup in each batch's
   transaction): spans/s by file import, next to ``raw_insert``: spans/s of reading the same
   lines and inserting their rows into ``aidev_traces`` alone with plain ``executemany``, in
   batches of the same size (a bound no ingest beats);
2. starts one uvicorn worker and exports GenAI spans to ``POST /v1/traces`` as OTLP protobuf,
   1,000 spans a request: spans/s through the receiver, next to ``raw_insert`` of the same
   spans (decoded from the same bodies, 1,000 rows a transaction);
3. measures p50/p95 of ``/aidev/metrics?days=7`` and ``/aidev/insights?days=90`` for a tenant
   of the small size and one of the large size in the same database, the two taking turns
   request by request, and reports the p95 ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from sqlalchemy import Table, insert, text
from tests.support.servers import free_port, wait_until_ready

from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.db import Database, utcnow
from vantage.packs.aidev.models import Trace
from vantage.packs.aidev.service.batches import TraceIngestor
from vantage.packs.aidev.service.importer import ImportPlan, import_traces
from vantage.packs.aidev.service.pricing import load_price_table
from vantage.packs.aidev.settings import AidevSettings
from vantage.packs.aidev.traces.formats import Parsed, read_record
from vantage.packs.aidev.traces.otlp_proto import decode_request, proto_spans
from vantage.packs.aidev.traces.record import TraceRecord

TRACES = cast(Table, Trace.__table__)
SECRET = "bench-secret-" + "x" * 40
DEVELOPERS = 50
DAYS = 90
MODELS = ("gpt-4o-mini", "claude-3-5-sonnet-20241022", "gpt-4o", "house-model")
OTLP_BATCH = 1000
# The product's default batch, which ``vantage import traces`` uses.
IMPORT_LINES = AidevSettings.model_fields["import_batch_lines"].default


def _settings(url: str) -> Settings:
    return Settings(database_url=url, jwt_secret=SECRET, _env_file=None)


def _payload(rng: random.Random, index: int, now: datetime, prefix: str) -> dict[str, Any]:
    developer = rng.randrange(DEVELOPERS)
    at = now - timedelta(days=rng.uniform(0, DAYS))
    start = at.timestamp()
    shown = rng.choice((0, 1, 2))
    return {
        "litellm_call_id": f"{prefix}-{index}", "call_type": "acompletion",
        "status": "failure" if rng.random() < 0.03 else "success",
        "custom_llm_provider": "openai", "model": rng.choice(MODELS),
        "startTime": start, "endTime": start + rng.uniform(0.5, 8),
        "prompt_tokens": rng.randint(100, 4000), "completion_tokens": rng.randint(10, 800),
        "response_cost": None, "end_user": f"dev{developer}@example.com",
        "metadata": {"requester_metadata": {
            "session_id": f"s-{developer}-{int(start // 3600)}",
            "suggestions_shown": shown, "suggestions_accepted": rng.randint(0, shown),
        }},
    }  # fmt: skip


def write_payloads(path: Path, count: int, prefix: str, seed: int) -> None:
    """``count`` LiteLLM payloads, one per line."""
    rng, now = random.Random(seed), datetime.now(UTC)
    with path.open("w") as handle:
        for index in range(count):
            handle.write(json.dumps(_payload(rng, index, now, prefix)) + "\n")


def _raw_row(tenant_id: int, record: TraceRecord) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id, "request_id": record.request_id, "source": record.source,
        "trace_id": record.trace_id, "started_at": record.started_at,
        "ended_at": record.ended_at, "developer": record.identity.email or "",
        "identity_source": "email", "session_key": record.session_key, "session_id": None,
        "repository": None, "provider": record.provider, "model": record.model,
        "operation": record.operation, "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens, "cached_tokens": 0, "cost_nano": None,
        "cost_source": "unpriced", "unpriced": True, "failed": record.failed,
        "latency_ms": record.latency_ms, "suggestions_shown": 0, "suggestions_accepted": 0,
        "rating": None, "extra": record.extra,
    }  # fmt: skip


async def _tenant(url: str, slug: str) -> int:
    """A further tenant, by slug."""
    database = Database(_settings(url))
    async with database.transaction() as session:
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None) if database.dialect == "sqlite" else now
        await session.execute(
            text("INSERT INTO tenants (slug, name, created_at, updated_at) "
                 "VALUES (:slug, :slug, :now, :now)"), {"slug": slug, "now": stamp},
        )  # fmt: skip
        found = await session.scalar(
            text("SELECT id FROM tenants WHERE slug = :slug"), {"slug": slug}
        )
    await database.dispose()
    return int(found)


async def _raw_tenant(url: str) -> int:
    """A second tenant, whose ``aidev_traces`` rows the raw inserts write."""
    return await _tenant(url, "raw")


async def _raw_insert(database: Database, rows: list[dict[str, Any]]) -> None:
    """One plain Core ``executemany`` of the rows (no ORM bookkeeping, no RETURNING)."""
    async with database.transaction() as session:
        await session.execute(insert(TRACES), rows)


async def _raw_lines(database: Database, tenant: int, lines: list[str]) -> None:
    """The lines read and their rows inserted, ``IMPORT_LINES`` a transaction."""
    for start in range(0, len(lines), IMPORT_LINES):
        rows = [
            _raw_row(tenant, read_record(json.loads(line)).records[0])
            for line in lines[start : start + IMPORT_LINES]
        ]
        await _raw_insert(database, rows)


async def _raw_bodies(database: Database, tenant: int, bodies: list[bytes]) -> None:
    """The OTLP bodies decoded and their spans inserted, one transaction a body."""
    for body in bodies:
        parsed = Parsed()
        parsed.add_spans(proto_spans(decode_request(body)))
        await _raw_insert(database, [_raw_row(tenant, record) for record in parsed.records])


def _rate(spans: int, seconds: float) -> dict[str, Any]:
    return {"spans": spans, "seconds": round(seconds, 2), "spans_per_s": round(spans / seconds)}


async def _timed(work: Awaitable[Any]) -> float:
    began = time.perf_counter()
    await work
    return time.perf_counter() - began


async def alternate(
    subjects: dict[str, Callable[[int], Awaitable[Any]]], rounds: int
) -> dict[str, float]:
    """Seconds each subject spent on its share of every round, the order reversed each round,
    so that a drift in the shared machine's speed weighs on all of them alike."""
    spent = dict.fromkeys(subjects, 0.0)
    names = list(subjects)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            spent[name] += await _timed(subjects[name](number))
    return spent


async def import_vs_raw(
    url: str, path: Path, workdir: Path, raw_tenant: int, rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file imported (tenant 1) and the same lines inserted raw (``raw_tenant``), in
    alternating rounds of the same lines and the same batch size."""
    lines = (await asyncio.to_thread(path.read_text)).splitlines(keepends=True)
    per_round = -(-len(lines) // rounds // IMPORT_LINES) * IMPORT_LINES
    parts = [lines[start : start + per_round] for start in range(0, len(lines), per_round)]
    files = []
    for number, part in enumerate(parts):
        files.append(workdir / f"{path.stem}-{number}.jsonl")
        await asyncio.to_thread(files[-1].write_text, "".join(part))
    database = Database(_settings(url))
    ingestor = TraceIngestor(database, load_price_table(None), timedelta(minutes=30))
    accepted = 0

    async def importer(number: int) -> None:
        nonlocal accepted
        report = await import_traces(ingestor, ImportPlan(files[number], 1, IMPORT_LINES))
        accepted += report.accepted

    async def raw(number: int) -> None:
        await _raw_lines(database, raw_tenant, parts[number])

    spent = await alternate({"import": importer, "raw": raw}, len(parts))
    await database.dispose()
    for file in files:
        file.unlink()
    return _rate(accepted, spent["import"]), _rate(len(lines), spent["raw"])


async def _import(url: str, path: Path, tenant_id: int) -> dict[str, Any]:
    database = Database(_settings(url))
    ingestor = TraceIngestor(database, load_price_table(None), timedelta(minutes=30))
    began = time.perf_counter()
    report = await import_traces(ingestor, ImportPlan(path, tenant_id, IMPORT_LINES))
    elapsed = time.perf_counter() - began
    await database.dispose()
    return _rate(report.accepted, elapsed)


def _attribute(key: str, value: str | int) -> KeyValue:
    any_value = (
        AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
    )
    return KeyValue(key=key, value=any_value)


def otlp_bodies(count: int, seed: int) -> list[bytes]:
    """OTLP protobuf requests of GenAI client spans, ``OTLP_BATCH`` spans each."""
    rng, now = random.Random(seed), datetime.now(UTC)
    bodies = []
    for first in range(0, count, OTLP_BATCH):
        request = ExportTraceServiceRequest()
        spans = request.resource_spans.add().scope_spans.add().spans
        for index in range(first, min(first + OTLP_BATCH, count)):
            span = spans.add()
            span.trace_id = rng.getrandbits(128).to_bytes(16, "big")
            span.span_id = rng.getrandbits(64).to_bytes(8, "big")
            span.name = "chat"
            start = now - timedelta(days=rng.uniform(0, DAYS))
            span.start_time_unix_nano = int(start.timestamp() * 1e9)
            span.end_time_unix_nano = span.start_time_unix_nano + 2_000_000_000
            span.attributes.extend([
                _attribute("gen_ai.provider.name", "openai"),
                _attribute("gen_ai.request.model", rng.choice(MODELS)),
                _attribute("gen_ai.usage.input_tokens", rng.randint(100, 4000)),
                _attribute("gen_ai.usage.output_tokens", rng.randint(10, 800)),
                _attribute("user.email", f"dev{rng.randrange(DEVELOPERS)}@example.com"),
                _attribute("gen_ai.conversation.id", f"otlp-{index // 20}"),
            ])  # fmt: skip
        bodies.append(request.SerializeToString())
    return bodies


async def otlp_vs_raw(
    url: str, base: str, key: str, bodies: list[bytes], spans: int, raw_tenant: int, rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bodies exported to the receiver and the same spans inserted raw, in alternating
    rounds of the same bodies."""
    headers = {"X-API-Key": key, "Content-Type": "application/x-protobuf"}
    per_round = -(-len(bodies) // rounds)
    parts = [bodies[start : start + per_round] for start in range(0, len(bodies), per_round)]
    database = Database(_settings(url))
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:

        async def export(number: int) -> None:
            for body in parts[number]:
                answer = await client.post("/v1/traces", content=body, headers=headers)
                answer.raise_for_status()

        async def raw(number: int) -> None:
            await _raw_bodies(database, raw_tenant, parts[number])

        spent = await alternate({"otlp": export, "raw": raw}, len(parts))
    await database.dispose()
    return _rate(spans, spent["otlp"]), _rate(spans, spent["raw"])


def _summary(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=20)
    return {"p50_ms": round(statistics.median(samples) * 1000, 1),
            "p95_ms": round(cuts[18] * 1000, 1)}  # fmt: skip


def _latency(base: str, keys: dict[str, str], path: str, runs: int) -> dict[str, dict[str, float]]:
    """Latency of ``path`` for each tenant (by its key), the tenants taking turns."""
    samples: dict[str, list[float]] = {name: [] for name in keys}
    clients = {
        name: httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=120)
        for name, key in keys.items()
    }
    try:
        for client in clients.values():
            client.get(path).raise_for_status()
        names = list(keys)
        for run in range(runs):
            for name in names if run % 2 == 0 else reversed(names):
                began = time.perf_counter()
                clients[name].get(path).raise_for_status()
                samples[name].append(time.perf_counter() - began)
    finally:
        for client in clients.values():
            client.close()
    return {name: _summary(taken) for name, taken in samples.items()}


async def _api_key(url: str, tenant_id: int = 1) -> str:
    database = Database(_settings(url))
    async with database.transaction() as session:
        created = await api_key_service.create_api_key(
            session, tenant_id=tenant_id, name="bench", scopes=[Scope.READ, Scope.INGEST],
            expires_at=None, created_by_id=None, now=utcnow(),
        )  # fmt: skip
    await database.dispose()
    return created.key


def _server(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ, "VANTAGE_DATABASE_URL": url, "VANTAGE_JWT_SECRET": SECRET,
        "VANTAGE_DATA_DIR": str(workdir / "data"), "VANTAGE_PACKS": "aidev",
        "VANTAGE_RESPONSE_CACHE_TTL_SECONDS": "0", "VANTAGE_RATE_LIMIT_ENABLED": "false",
        "VANTAGE_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "uvicorn", "vantage.app:create_app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, 180)
    except BaseException:
        process.terminate()  # not left behind serving a database about to be deleted
        raise
    return process, base


def _reads(base: str, keys: dict[str, str], runs: int) -> dict[str, dict[str, Any]]:
    """Both reads for each tenant, the tenants taking turns; by tenant, then read."""
    paths = {
        "metrics": "/api/v1/aidev/metrics?days=7",
        "insights": "/api/v1/aidev/insights?days=90&max_lag_days=14",
    }
    measured = {read: _latency(base, keys, path, runs) for read, path in paths.items()}
    return {name: {read: measured[read][name] for read in paths} for name in keys}


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every phase; the result as one dictionary."""
    small, large = (5_000, 20_000) if args.quick else (args.small, args.large)
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'aidev.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    first, rest = workdir / "first.jsonl", workdir / "rest.jsonl"
    write_payloads(first, small, "a", 1)
    raw_tenant = await _raw_tenant(url)
    imported, raw = await import_vs_raw(url, first, workdir, raw_tenant, args.rounds)
    first.unlink()
    key = await _api_key(url)
    otlp_spans = min(small, 50_000)
    bodies = otlp_bodies(otlp_spans, 2)
    large_tenant = await _tenant(url, "large")
    write_payloads(rest, large, "b", 3)
    await _import(url, rest, large_tenant)
    rest.unlink()
    keys = {f"{small}_spans": key, f"{large}_spans": await _api_key(url, large_tenant)}
    process, base = _server(url, workdir)
    try:
        received, raw_otlp = await otlp_vs_raw(
            url, base, key, bodies, otlp_spans, raw_tenant, args.rounds
        )
        reads = await asyncio.to_thread(_reads, base, keys, args.runs)
    finally:
        process.terminate()
        process.wait(timeout=30)
    at_small, at_large = reads[f"{small}_spans"], reads[f"{large}_spans"]
    return {
        "benchmark": "aidev", "database": url.split(":", 1)[0],
        "file_import": imported, "raw_insert": raw, "otlp_http": received,
        "otlp_raw_insert": raw_otlp,
        "import_vs_raw": round(imported["spans_per_s"] / raw["spans_per_s"], 3),
        "otlp_vs_raw": round(received["spans_per_s"] / raw_otlp["spans_per_s"], 3),
        "reads": reads,
        "p95_ratio": {
            name: round(at_large[name]["p95_ms"] / at_small[name]["p95_ms"], 2)
            for name in ("metrics", "insights")
        },
    }  # fmt: skip


def main() -> None:
    """Parse the arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="5,000 and 20,000 spans")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--rounds", type=int, default=10, help="alternating rounds of ingest and raw insert"
    )
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aidev-bench-") as directory:
        print(json.dumps(asyncio.run(run(args, Path(directory)))))


if __name__ == "__main__":
    main()
