"""Delivery benchmark: prints one JSON line, every figure measured in the same run.

- ``full_recompute_s``: re-linking every deployment of the 1x history from scratch (the pull
  requests of each commit range and their lead-time rows), the work a pipeline re-run on each
  event would do;
- ``incremental_p95_ms``: one more deployment through the push API (it ships 10 new pull
  requests) until ``GET /api/v1/delivery/dora`` shows it, end to end: post the event, then read
  /dora until the new figure is there; p95 over ``--events`` events, and its ratio to the full
  recompute (target <= 0.01);
- ``dora_read_p95_ms`` over the whole history at 1x and 10x the data (the 10x tenant runs ten
  services, each with a copy of the 1x history's rows) and the ratio of the p95s (target
  <= 1.3);
- webhook intake (signed ``pull_request`` deliveries: verify, validate, store, queue) requests
  per second against ``GET /health/live`` of the same app, both in-process over ASGI, measured
  in alternating rounds (intake, live, live, intake, ...) and pooled, at saturation with 64
  concurrent senders (target >= 0.5) and, as a second figure, with 8. With
  ``--broker-url`` (a Redis URL; also ``VANTAGE_BENCH_BROKER_URL``) the app is an API process
  that only queues, as in production; without it the in-process job runner shares the event
  loop and processes every delivery too (``intake_mode`` says which).

The 1x history is recorded through the pack's own ingest path, one deployment at a time (its
ten pull requests, their per-day counts, linking), about 0.1 s a deployment on a small machine
whatever the history's length; the 10x tenant's rows are copies of it, written with
``INSERT ... SELECT``, and checked to show ten times its deployments and lead times. The sizes
of the delivery pack's targets are 10,000 deployments and 100,000 pull requests at 1x (the
default, about 40 minutes, most of it the history and the full re-link); ``--quick`` runs 50.

Run: ``python -m bench.delivery [--deployments 10000] [--quick] [--broker-url redis://...]``
(SQLite in a temporary directory).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Column, ColumnElement, Table, and_, func, literal, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.loadgen import percentile
from vantage.app import create_app
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.auth.service.tenants import create_tenant
from vantage.core.db import Base, Database, utcnow
from vantage.packs.delivery.github.signature import signature_of
from vantage.packs.delivery.models import LeadTimeDay, MergedDay, ShippedDay
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.repository import day_counts, records
from vantage.packs.delivery.repository import deployments as rows
from vantage.packs.delivery.service import commits as graph_store
from vantage.packs.delivery.service.ingest import DeploymentEvent, record_deployment
from vantage.packs.delivery.service.linking import link_deployment

SECRET = "bench-secret-" + "x" * 40
HOOK_SECRET = "bench webhook secret"  # noqa: S105 - the benchmark signs its own deliveries
PULLS_PER_DEPLOYMENT = 10
# Concurrent senders for the rates: a worker's capacity is its rate at saturation, which a
# webhook receiver only reaches with many senders in flight, since a delivery is answered after
# the commit holding it and each commit serves every delivery that came in meanwhile.
SATURATING_SENDERS = 64
FEW_SENDERS = 8
START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = timedelta(hours=72)
DORA = "/api/v1/delivery/dora"
DEPLOYMENT_INTERVAL = timedelta(hours=6)
SERVICE = "app-1"
TENFOLD = 10
# Copies of a row get ids this far apart, far above any id the 1x history reaches.
COPY_ID_STRIDE = 10**9
ID_COLUMNS = frozenset({"id", "repository_id", "deployment_id", "pull_request_id", "source_id"})
NAMED_COLUMNS = frozenset({"service", "full_name", "external_id"})
# The per-day count tables, which also keep rows for the whole tenant, by table name.
DAY_COUNTS = {model.__tablename__: model for model in (LeadTimeDay, MergedDay, ShippedDay)}


def _sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id


async def _store_changes(
    session: AsyncSession, tenant_id: int, repository_id: int, index: int, tip: str | None
) -> None:
    """Store the commits and merged pull requests deployment ``index`` of a repository ships
    (the pull requests as the app writes them, with their per-day counts)."""
    deployed = START + DEPLOYMENT_INTERVAL * index
    commits = []
    for number in range(index * PULLS_PER_DEPLOYMENT, (index + 1) * PULLS_PER_DEPLOYMENT):
        merged = deployed - timedelta(minutes=30 + number % 50)
        sha = _sha(f"{tenant_id}-{repository_id}-{number}")
        commits.append({
            "tenant_id": tenant_id, "repository_id": repository_id, "sha": sha,
            "parents": [tip] if tip else [], "subject": f"Change (#{number})",
            "authored_at": merged, "committed_at": merged,
        })  # fmt: skip
        await records.upsert_pull_request(
            session,
            tenant_id,
            repository_id,
            {
                "number": number,
                "state": "merged",
                "opened_at": merged - timedelta(hours=5),
                "merged_at": merged,
                "first_commit_at": merged - timedelta(hours=9),
                "merge_commit_sha": sha,
                "labels": [],
            },
        )
        tip = sha
    await graph_store.store_commits(session, tenant_id, repository_id, commits)


def _tip(tenant_id: int, repository_id: int, index: int) -> str | None:
    """The newest commit deployment ``index`` ships."""
    if index < 0:
        return None
    return _sha(f"{tenant_id}-{repository_id}-{(index + 1) * PULLS_PER_DEPLOYMENT - 1}")


async def _history(
    database: Database, tenant_id: int, service: str, deployments: int
) -> tuple[int, list[str]]:
    """``deployments`` deployments of one service, each shipping 10 merged pull requests, as
    they arrive: each one links its pull requests when it is recorded."""
    async with database.transaction() as session:
        repository = await records.add_repository(session, tenant_id, f"bench/{service}")
    labels = []
    for index in range(deployments):
        async with database.transaction() as session:
            tip = _tip(tenant_id, repository.id, index - 1)
            await _store_changes(session, tenant_id, repository.id, index, tip)
            await session.flush()
            label = f"deploy-{service}-{index}"
            await record_deployment(
                session,
                tenant_id,
                DeploymentEvent(
                    external_id=label,
                    service=service,
                    environment="production",
                    production=True,
                    repository_id=repository.id,
                    commit_sha=_tip(tenant_id, repository.id, index),
                    kind="normal",
                    state="success",
                    at=START + DEPLOYMENT_INTERVAL * index,
                ),
                WINDOW,
            )
            labels.append(label)
    return repository.id, labels


async def _copies(database: Database, source: int, tenant_id: int, copies: int) -> None:
    """The 10x tenant: ``copies`` copies of the source tenant's delivery rows, each its own
    service and repository, written with ``INSERT ... SELECT``: recording ten times the history
    through the ingest path, about 0.1 s a deployment, would take hours at the target size."""
    tables = [table for table in Base.metadata.sorted_tables if table.name.startswith("delivery_")]
    async with database.transaction() as session:
        for copy in range(copies):
            for table in tables:
                copied = [_copied(column, tenant_id, copy) for column in table.columns]
                own_rows = [not_(and_(*whole)) for whole in _whole_tenant_rows(table)]
                await session.execute(
                    table.insert().from_select(
                        list(table.columns.keys()),
                        select(*copied).where(table.c.tenant_id == source, *own_rows),
                    )
                )
        for name in DAY_COUNTS:
            await _add_whole_tenant_rows(session, Base.metadata.tables[name], tenant_id)


def _whole_tenant_rows(table: Table) -> list[list[ColumnElement[bool]]]:
    """The condition selecting a per-day count table's whole-tenant rows (none elsewhere)."""
    model = DAY_COUNTS.get(table.name)
    return [day_counts.whole_tenant_rows(model)] if model is not None else []


async def _add_whole_tenant_rows(session: AsyncSession, table: Table, tenant_id: int) -> None:
    """The whole tenant's rows of a per-day count table: its own rows summed per day."""
    whole = dict(day_counts.WHOLE_TENANT)
    counters = [c for c in table.columns if not c.primary_key]
    values = [
        literal(whole[c.name], c.type) if c.name in whole else c
        for c in table.columns
        if c.primary_key
    ]
    await session.execute(
        table.insert().from_select(
            [c.name for c in table.columns if c.primary_key] + [c.name for c in counters],
            select(*values, *[func.sum(c) for c in counters])
            .where(table.c.tenant_id == tenant_id)
            .group_by(table.c.tenant_id, table.c.day),
        )
    )


def _copied(column: Column[Any], tenant_id: int, copy: int) -> ColumnElement[Any]:
    """The value of ``column`` in the copy: the copy's tenant, ids moved by a stride, and the
    service's name in names."""
    if column.name == "tenant_id":
        return literal(tenant_id, column.type)
    if column.name in ID_COLUMNS:
        return column + COPY_ID_STRIDE * (copy + 1)
    if column.name in NAMED_COLUMNS:
        return func.replace(column, SERVICE, f"svc-{copy}")
    return column


def _whole_history(deployments: int) -> str:
    """/dora over every day of a history of ``deployments`` deployments."""
    end = (START + DEPLOYMENT_INTERVAL * deployments).date() + timedelta(days=2)
    return f"{DORA}?from={(START - timedelta(days=31)).date()}&to={end}"


async def _check_tenfold(client: httpx.AsyncClient, path: str, key: str, key_10x: str) -> None:
    """The copies hold ten times the deployments and lead times of the 1x history."""
    figures = []
    for credential in (key, key_10x):
        response = await client.get(path, headers={"X-API-Key": credential})
        assert response.status_code == 200, response.text
        dora = response.json()
        figures.append((dora["deployment_frequency"]["deployments"], dora["lead_time"]["count"]))
    (deployments, lead_times), tenfold = figures
    assert tenfold == (deployments * TENFOLD, lead_times * TENFOLD), figures


async def _full_recompute(database: Database, tenant_id: int, labels: list[str]) -> float:
    """Seconds to re-link every deployment of the history, in order (rolled back)."""
    async with database.transaction() as session:
        began = time.perf_counter()
        for label in labels:
            deployment = await rows.deployment_by_external_id(session, tenant_id, label)
            assert deployment is not None
            await link_deployment(session, tenant_id, deployment, WINDOW)
        elapsed = time.perf_counter() - began
        await session.rollback()
    return elapsed


async def _incremental(
    client: httpx.AsyncClient,
    path: str,
    database: Database,
    key: str,
    repository_id: int,
    first: int,
    events: int,
) -> list[float]:
    """Per event: seconds from posting one more deployment (push API) until /dora shows it.

    Its commits and pull requests are stored beforehand (not timed): the event is the
    deployment that ships them.
    """
    headers = {"X-API-Key": key}
    samples = []
    for index in range(first, first + events):
        async with database.transaction() as session:
            await _store_changes(
                session, 1, repository_id, index, _tip(1, repository_id, index - 1)
            )
        before = await client.get(path, headers=headers)
        assert before.status_code == 200, before.text
        shipped = before.json()["deployment_frequency"]["deployments"]
        began = time.perf_counter()
        posted = await client.post(
            "/api/v1/delivery/deployments",
            headers=headers,
            json={
                "deployments": [
                    {
                        "id": f"deploy-app-1-{index}",
                        "service": "app-1",
                        "repository": "bench/app-1",
                        "commit_sha": _tip(1, repository_id, index),
                        "status": "success",
                        "at": (START + DEPLOYMENT_INTERVAL * index).isoformat(),
                    }
                ]
            },
        )
        assert posted.status_code == 200, posted.text
        while True:
            read = await client.get(path, headers=headers)
            assert read.status_code == 200, read.text
            if read.json()["deployment_frequency"]["deployments"] == shipped + 1:
                break
        samples.append(time.perf_counter() - began)
    return samples


async def _latencies(call: Callable[[], Awaitable[httpx.Response]], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = await call()
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    return samples


async def _rate(
    call: Callable[[], Awaitable[httpx.Response]], seconds: float, senders: int
) -> tuple[int, float]:
    """Requests done by ``senders`` concurrent clients in about ``seconds``, and the seconds
    taken."""
    done, stop = 0, time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            response = await call()
            assert response.status_code < 300, response.text
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(senders)])
    return done, time.perf_counter() - began


def _ms(samples: list[float], fraction: float) -> float:
    return round(percentile(samples, fraction) * 1000, 2)


def _settings(directory: Path, broker_url: str | None) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{directory / 'vantage.db'}",
        data_dir=directory,
        jwt_secret=SECRET,
        log_level="WARNING",
        rate_limit_enabled=False,
        response_cache_ttl_seconds=0,
        broker_url=broker_url,
        job_queue=f"vantage:bench-delivery:{uuid.uuid4().hex}",
    )


async def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    settings = _settings(directory, args.broker_url)
    app = create_app(settings, packs=[build_pack()])
    database: Database = app.state.database
    async with app.router.lifespan_context(app):
        key = await _key(database, 1, [Scope.ADMIN, Scope.READ, Scope.INGEST])
        async with database.transaction() as session:
            other = await create_tenant(session, "tenfold", "Tenfold")
        repository_id, one_x = await _history(database, 1, SERVICE, args.deployments)
        await _copies(database, 1, other.id, TENFOLD)
        full = await _full_recompute(database, 1, one_x)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            key_10x = await _key(database, other.id, [Scope.READ])
            path = _whole_history(args.deployments + args.events)
            await _check_tenfold(client, path, key, key_10x)
            incremental = await _incremental(
                client, path, database, key, repository_id, args.deployments, args.events
            )
            read_1x: list[float] = []
            read_10x: list[float] = []
            for _ in range(2):  # alternate the scales, so a drift weighs on both alike
                read_1x += await _latencies(
                    lambda: client.get(path, headers={"X-API-Key": key}), args.runs // 2
                )
                read_10x += await _latencies(
                    lambda: client.get(path, headers={"X-API-Key": key_10x}), args.runs // 2
                )
            rates = await _intake(client, {"X-API-Key": key}, args.seconds, args.rounds)
        await _drop_queue(settings)
    incremental_p95 = _ms(incremental, 0.95)
    return {
        "bench": "delivery",
        "deployments_1x": args.deployments,
        "pull_requests_1x": args.deployments * PULLS_PER_DEPLOYMENT,
        "full_recompute_s": round(full, 3),
        "incremental_p50_ms": _ms(incremental, 0.5),
        "incremental_p95_ms": incremental_p95,
        "incremental_events": len(incremental),
        "incremental_to_full_ratio": round(incremental_p95 / 1000 / full, 4),
        "dora_read_1x": {"p50_ms": _ms(read_1x, 0.5), "p95_ms": _ms(read_1x, 0.95)},
        "dora_read_10x": {"p50_ms": _ms(read_10x, 0.5), "p95_ms": _ms(read_10x, 0.95)},
        "dora_read_p95_ratio_10x_to_1x": round(
            percentile(read_10x, 0.95) / percentile(read_1x, 0.95), 2
        ),
        "intake_mode": "api+broker" if args.broker_url else "embedded",
        "rate_senders": SATURATING_SENDERS,
        "webhook_intake_per_second": round(rates[SATURATING_SENDERS][0], 1),
        "health_live_per_second": round(rates[SATURATING_SENDERS][1], 1),
        "intake_to_live_ratio": round(_ratio(rates[SATURATING_SENDERS]), 3),
        f"intake_to_live_ratio_{FEW_SENDERS}_senders": round(_ratio(rates[FEW_SENDERS]), 3),
        "rate_rounds": args.rounds,
    }


def _ratio(rates: tuple[float, float]) -> float:
    intake, live = rates
    return intake / live


async def _drop_queue(settings: Settings) -> None:
    """Remove the Redis stream the run queued to (its jobs belong to a deleted database)."""
    if not settings.broker_url:
        return
    import redis.asyncio as redis  # the redis extra, present whenever a broker URL works

    client = redis.from_url(settings.broker_url)
    try:
        await client.delete(settings.job_queue)
    finally:
        await client.aclose()


async def _key(database: Database, tenant_id: int, scopes: list[Scope]) -> str:
    async with database.transaction() as session:
        created = await api_key_service.create_api_key(
            session,
            tenant_id=tenant_id,
            name="bench",
            scopes=scopes,
            expires_at=None,
            created_by_id=None,
            now=utcnow(),
        )
    return created.key


async def _intake(
    client: httpx.AsyncClient, headers: dict[str, str], seconds: float, rounds: int
) -> dict[int, tuple[float, float]]:
    """Intake and /health/live per second by the number of concurrent senders."""
    created = await client.post(
        "/api/v1/etl/sources",
        headers=headers,
        json={"name": "bench", "repositories": ["bench/*"], "secret": HOOK_SECRET},
    )
    source = created.json()["id"]
    payload = json.dumps(
        {
            "action": "opened",
            "repository": {"id": 1, "full_name": "bench/hooks"},
            "pull_request": {
                "number": 1,
                "state": "open",
                "created_at": "2025-01-01T00:00:00Z",
                "head": {"ref": "f", "sha": "a" * 40},
                "base": {"ref": "main", "sha": "b" * 40},
            },
        }
    ).encode()
    signed = {
        "X-GitHub-Event": "pull_request",
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature_of(HOOK_SECRET, payload),
    }

    def post() -> Awaitable[httpx.Response]:
        return client.post(
            "/api/v1/webhooks/github",
            params={"source": source},
            content=payload,
            headers={**signed, "X-GitHub-Delivery": str(uuid.uuid4())},
        )

    def live() -> Awaitable[httpx.Response]:
        return client.get("/health/live")

    await _rate(post, 0.2, FEW_SENDERS)  # warm up both paths
    await _rate(live, 0.2, FEW_SENDERS)
    return {
        senders: await _alternating_rates(post, live, seconds, rounds, senders)
        for senders in (SATURATING_SENDERS, FEW_SENDERS)
    }


async def _alternating_rates(
    post: Callable[[], Awaitable[httpx.Response]],
    live: Callable[[], Awaitable[httpx.Response]],
    seconds: float,
    rounds: int,
    senders: int,
) -> tuple[float, float]:
    """Intake and /health/live per second, alternating in rounds and pooled."""
    totals = {"intake": [0, 0.0], "live": [0, 0.0]}
    for index in range(rounds):
        order = [("intake", post), ("live", live)]
        for name, call in order if index % 2 == 0 else order[::-1]:
            done, took = await _rate(call, seconds, senders)
            totals[name][0] += done
            totals[name][1] += took
    return (
        totals["intake"][0] / totals["intake"][1],
        totals["live"][0] / totals["live"][1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=10_000, help="deployments at 1x")
    parser.add_argument("--events", type=int, default=20, help="incremental events timed")
    parser.add_argument("--runs", type=int, default=60, help="DORA reads per scale")
    parser.add_argument("--seconds", type=float, default=0.5, help="seconds per rate round")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rate rounds")
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("VANTAGE_BENCH_BROKER_URL"),
        help="Redis URL: measure intake on an API process that only queues",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a fast check")
    args = parser.parse_args()
    if args.quick:
        args.deployments, args.events, args.runs = min(args.deployments, 50), 10, 20
        args.seconds, args.rounds = 0.3, 4
    with tempfile.TemporaryDirectory(prefix="vantage-delivery-bench-") as temporary:
        migrations.upgrade(f"sqlite+aiosqlite:///{Path(temporary) / 'vantage.db'}")
        print(json.dumps(asyncio.run(run(args, Path(temporary)))))


if __name__ == "__main__":
    main()
