"""Delivery benchmark: prints one JSON line.

- incremental update vs full recompute: recording one deployment (it links the pull requests of
  its commit range and writes their lead-time rows) against re-linking every deployment of the
  history from scratch, the work a pipeline re-run on each event would do;
- ``GET /api/v1/delivery/dora`` p50/p95 over the whole history at 1x and 10x the data (two
  tenants of the same database), and the ratio of the p95s;
- webhook intake (signed ``pull_request`` deliveries: verify, validate, store, queue) requests
  per second against ``GET /health/live`` of the same app, both in-process over ASGI.

Run: ``python -m bench.delivery [--deployments 200]`` (SQLite in a temporary directory).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import percentile
from vantage.app import create_app
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.auth.service.tenants import create_tenant
from vantage.core.db import Database, utcnow
from vantage.packs.delivery.github.signature import signature_of
from vantage.packs.delivery.models import Commit, PullRequest
from vantage.packs.delivery.pack import build_pack
from vantage.packs.delivery.repository import deployments as rows
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.ingest import DeploymentEvent, record_deployment
from vantage.packs.delivery.service.linking import link_deployment

SECRET = "bench-secret-" + "x" * 40
HOOK_SECRET = "bench webhook secret"  # noqa: S105 - the benchmark signs its own deliveries
PULLS_PER_DEPLOYMENT = 10
START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = timedelta(hours=72)


def _sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id


async def _history(database: Database, tenant_id: int, deployments: int) -> list[str]:
    """``deployments`` deployments of one service, each shipping 10 merged pull requests."""
    async with database.transaction() as session:
        repository = await records.add_repository(session, tenant_id, f"bench/app-{tenant_id}")
    tip: str | None = None
    labels = []
    for index in range(deployments):
        deployed = START + timedelta(hours=6 * index)
        async with database.transaction() as session:
            for number in range(index * PULLS_PER_DEPLOYMENT, (index + 1) * PULLS_PER_DEPLOYMENT):
                merged = deployed - timedelta(minutes=30 + number % 50)
                sha = _sha(f"{tenant_id}-{number}")
                session.add(
                    Commit(
                        tenant_id=tenant_id,
                        repository_id=repository.id,
                        sha=sha,
                        parents=[tip] if tip else [],
                        subject=f"Change (#{number})",
                        authored_at=merged,
                        committed_at=merged,
                    )
                )
                session.add(
                    PullRequest(
                        tenant_id=tenant_id,
                        repository_id=repository.id,
                        number=number,
                        state="merged",
                        opened_at=merged - timedelta(hours=5),
                        merged_at=merged,
                        first_commit_at=merged - timedelta(hours=9),
                        merge_commit_sha=sha,
                        labels=[],
                    )
                )
                tip = sha
            await session.flush()
            label = f"deploy-{tenant_id}-{index}"
            await record_deployment(
                session,
                tenant_id,
                DeploymentEvent(
                    external_id=label,
                    service=f"app-{tenant_id}",
                    environment="production",
                    production=True,
                    repository_id=repository.id,
                    commit_sha=tip,
                    kind="normal",
                    state="success",
                    at=deployed,
                ),
                WINDOW,
            )
            labels.append(label)
    return labels


async def _full_recompute(database: Database, tenant_id: int, labels: list[str]) -> float:
    """Seconds to re-link every deployment of the history, in order."""
    began = time.perf_counter()
    async with database.transaction() as session:
        for label in labels:
            deployment = await rows.deployment_by_external_id(session, tenant_id, label)
            assert deployment is not None
            await link_deployment(session, tenant_id, deployment, WINDOW)
        await session.rollback()
    return time.perf_counter() - began


async def _incremental(database: Database, tenant_id: int, deployments: int) -> float:
    """Seconds to record one more deployment shipping 10 new pull requests."""
    began = time.perf_counter()
    await _history_tail(database, tenant_id, deployments)
    return time.perf_counter() - began


async def _history_tail(database: Database, tenant_id: int, index: int) -> None:
    async with database.reader() as session:
        repository = await records.repository_named(session, tenant_id, f"bench/app-{tenant_id}")
        assert repository is not None
    deployed = START + timedelta(hours=6 * index)
    async with database.transaction() as session:
        tip = _sha(f"{tenant_id}-{index * PULLS_PER_DEPLOYMENT - 1}")
        for number in range(index * PULLS_PER_DEPLOYMENT, (index + 1) * PULLS_PER_DEPLOYMENT):
            merged = deployed - timedelta(minutes=30)
            sha = _sha(f"{tenant_id}-{number}")
            session.add(
                Commit(
                    tenant_id=tenant_id,
                    repository_id=repository.id,
                    sha=sha,
                    parents=[tip],
                    subject="Change",
                    authored_at=merged,
                    committed_at=merged,
                )
            )
            session.add(
                PullRequest(
                    tenant_id=tenant_id,
                    repository_id=repository.id,
                    number=number,
                    state="merged",
                    opened_at=merged,
                    merged_at=merged,
                    merge_commit_sha=sha,
                    labels=[],
                )
            )
            tip = sha
        await session.flush()
        await record_deployment(
            session,
            tenant_id,
            DeploymentEvent(
                external_id=f"deploy-{tenant_id}-{index}",
                service=f"app-{tenant_id}",
                environment="production",
                production=True,
                repository_id=repository.id,
                commit_sha=tip,
                kind="normal",
                state="success",
                at=deployed,
            ),
            WINDOW,
        )


async def _latencies(call: Callable[[], Awaitable[httpx.Response]], runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = await call()
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
    return {"p50_ms": percentile(samples, 0.5) * 1000, "p95_ms": percentile(samples, 0.95) * 1000}


async def _rate(call: Callable[[], Awaitable[httpx.Response]], seconds: float) -> float:
    done, stop = 0, time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            response = await call()
            assert response.status_code < 300, response.text
            done += 1

    began = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(8)])
    return done / (time.perf_counter() - began)


async def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{directory / 'vantage.db'}"
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=directory,
        jwt_secret=SECRET,
        log_level="WARNING",
        rate_limit_enabled=False,
        response_cache_ttl_seconds=0,
    )
    app = create_app(settings, packs=[build_pack()])
    database: Database = app.state.database
    async with app.router.lifespan_context(app):
        key = await _key(database, 1, [Scope.ADMIN, Scope.READ])
        async with database.transaction() as session:
            other = await create_tenant(session, "tenfold", "Tenfold")
        one_x = await _history(database, 1, args.deployments)
        await _history(database, other.id, args.deployments * 10)
        full = await _full_recompute(database, 1, one_x)
        incremental = await _incremental(database, 1, args.deployments)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"X-API-Key": key}
            dora_path = "/api/v1/delivery/dora?from=2024-12-01&to=2027-01-01"
            read_1x = await _latencies(lambda: client.get(dora_path, headers=headers), args.runs)
            key_10x = await _key(database, other.id, [Scope.READ])
            read_10x = await _latencies(
                lambda: client.get(dora_path, headers={"X-API-Key": key_10x}), args.runs
            )
            intake, live = await _intake(client, headers, args.seconds)
    return {
        "bench": "delivery",
        "deployments_1x": args.deployments,
        "pull_requests_1x": args.deployments * PULLS_PER_DEPLOYMENT,
        "full_recompute_seconds": round(full, 4),
        "incremental_update_seconds": round(incremental, 4),
        "recompute_to_incremental_ratio": round(full / incremental, 1),
        "dora_read_1x": {k: round(v, 2) for k, v in read_1x.items()},
        "dora_read_10x": {k: round(v, 2) for k, v in read_10x.items()},
        "dora_read_p95_ratio_10x_to_1x": round(read_10x["p95_ms"] / read_1x["p95_ms"], 2),
        "webhook_intake_per_second": round(intake, 1),
        "health_live_per_second": round(live, 1),
    }


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
    client: httpx.AsyncClient, headers: dict[str, str], seconds: float
) -> tuple[float, float]:
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

    intake = await _rate(post, seconds)
    live = await _rate(lambda: client.get("/health/live"), seconds)
    return intake, live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=200, help="deployments at 1x")
    parser.add_argument("--runs", type=int, default=60, help="DORA reads per scale")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per rate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vantage-delivery-bench-") as temporary:
        migrations.upgrade(f"sqlite+aiosqlite:///{Path(temporary) / 'vantage.db'}")
        print(json.dumps(asyncio.run(run(args, Path(temporary)))))


if __name__ == "__main__":
    main()
