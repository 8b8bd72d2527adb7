"""Random histories (a main line with squash merges and merges of side branches, deployments
with rollbacks and failures, incidents linked explicitly, by root cause or by the window),
their pull requests, deployments and incidents arriving in any order: the links kept as each
event arrives, and the DORA figures read from them, equal a recompute from scratch."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.packs.commerce.support import new_tenant, open_database
from vantage.core.db import Database
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service.dora import DoraFilter, dora
from vantage.packs.delivery.service.ingest import (
    DeploymentEvent,
    IncidentEvent,
    record_deployment,
    record_incident,
)
from vantage.packs.delivery.service.linking import link_pull_request
from vantage.packs.delivery.service.recompute import relink_tenant

START = datetime(2025, 3, 3, tzinfo=UTC)
ATTRIBUTION = timedelta(hours=72)
WINDOWS = (
    TimeWindow(START, START + timedelta(days=28)),
    TimeWindow(START, START + timedelta(days=9)),
)

change = st.tuples(st.booleans(), st.integers(1, 30))  # (side branch merged?, minutes later)
deployment = st.tuples(
    st.integers(0, 11),  # which pull request's merge commit (or an older one: a rollback)
    st.integers(1, 90),  # hours after the start
    st.sampled_from(("success", "success", "success", "failure")),
    st.sampled_from(("normal", "normal", "hotfix", "rollback")),
)
incident = st.tuples(
    st.integers(0, 100),  # hours after the start
    st.sampled_from(("window", "explicit", "root_cause")),
    st.integers(0, 11),
    st.integers(1, 20),  # hours to resolve
)
history = st.tuples(
    st.lists(change, min_size=3, max_size=12),
    st.lists(deployment, min_size=1, max_size=8, unique_by=lambda d: d[1]),
    st.lists(incident, max_size=4),
    st.randoms(use_true_random=False),
)


def _sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id


def _commits(
    repository_id: int, tenant_id: int, changes: list[tuple[bool, int]]
) -> tuple[list[dict[str, Any]], list[tuple[int, str, datetime]]]:
    """The main line: pull request ``i`` lands as commit ``main-i``, a squash, or a merge of a
    side branch forked two commits earlier."""
    rows: list[dict[str, Any]] = []
    merges: list[tuple[int, str, datetime]] = []
    at = START - timedelta(hours=6)
    tip: str | None = None
    line: list[str] = []
    for number, (side, minutes) in enumerate(changes):
        at += timedelta(minutes=minutes)
        parents = [tip] if tip else []
        if side and len(line) >= 2:
            branch = _sha(f"side-{number}")
            rows.append(
                _commit(tenant_id, repository_id, branch, [line[-2]], at - timedelta(minutes=1))
            )
            parents.append(branch)
        sha = _sha(f"main-{number}")
        rows.append(_commit(tenant_id, repository_id, sha, parents, at))
        merges.append((number, sha, at))
        line.append(sha)
        tip = sha
    return rows, merges


def _commit(
    tenant_id: int, repository_id: int, sha: str, parents: list[str], at: datetime
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id, "repository_id": repository_id, "sha": sha, "parents": parents,
        "subject": "change", "authored_at": at, "committed_at": at,
    }  # fmt: skip


async def _snapshot(database: Database, tenant_id: int) -> dict[str, Any]:
    async with database.reader() as session:
        links = {}
        for table, columns in (
            ("delivery_pull_requests", "number, deployment_id"),
            ("delivery_lead_times", "pull_request_id, deployment_id, deployed_at, lead_seconds"),
            ("delivery_incidents", "external_id, deployment_id, attribution"),
            ("delivery_deployments", "external_id, incident_count"),
        ):
            rows = await session.execute(
                text(f"SELECT {columns} FROM {table} WHERE tenant_id = :t ORDER BY 1"),  # noqa: S608
                {"t": tenant_id},
            )
            links[table] = [tuple(row) for row in rows]
        figures = [
            (await dora(session, tenant_id, DoraFilter(), w)).model_dump(exclude={"data_as_of"})
            for w in WINDOWS
        ]
    return {"links": links, "figures": figures}


async def _run(url: str, example: Any) -> None:
    changes, deployments, incidents, shuffle = example
    async with open_database(url) as database:
        tenant_id = await new_tenant(database, f"prop-{uuid.uuid4().hex[:10]}")
        async with database.transaction() as session:
            repository = await records.add_repository(session, tenant_id, "acme/api")
            rows, merges = _commits(repository.id, tenant_id, changes)
            await records.add_commits(session, rows)
        events: list[tuple[str, Any]] = [("pr", merge) for merge in merges]
        events += [("deployment", (i, d)) for i, d in enumerate(deployments)]
        events += [("incident", (i, inc)) for i, inc in enumerate(incidents)]
        shuffle.shuffle(events)
        for kind, body in events:
            async with database.transaction() as session:
                await _apply(session, tenant_id, repository.id, merges, kind, body)
        incremental = await _snapshot(database, tenant_id)
        async with database.transaction() as session:
            await relink_tenant(session, tenant_id, ATTRIBUTION)
        assert await _snapshot(database, tenant_id) == incremental


async def _apply(
    session: Any,
    tenant_id: int,
    repository_id: int,
    merges: list[tuple[int, str, datetime]],
    kind: str,
    body: Any,
) -> None:
    if kind == "pr":
        number, sha, at = body
        pr = await records.upsert_pull_request(
            session, tenant_id, repository_id,
            {"number": number, "state": "merged", "opened_at": at - timedelta(hours=2),
             "merged_at": at, "merge_commit_sha": sha, "labels": []},
        )  # fmt: skip
        await link_pull_request(session, tenant_id, pr)
    elif kind == "deployment":
        index, (target, hours, state, deploy_kind) = body
        _, sha, _ = merges[min(target, len(merges) - 1)]
        await record_deployment(
            session, tenant_id,
            DeploymentEvent(f"d{index}", "api", "production", True, repository_id, sha,
                            deploy_kind, state, START + timedelta(hours=hours)),
            ATTRIBUTION,
        )  # fmt: skip
    else:
        index, (hours, how, target, resolve) = body
        created = START + timedelta(hours=hours)
        _, sha, _ = merges[min(target, len(merges) - 1)]
        await record_incident(
            session, tenant_id,
            IncidentEvent(f"i{index}", "api", "outage", None, created,
                          created + timedelta(hours=resolve), created + timedelta(hours=resolve),
                          f"d{target % 8}" if how == "explicit" else None,
                          sha[:12] if how == "root_cause" else None),
            ATTRIBUTION,
        )  # fmt: skip


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(example=history)
def test_links_kept_incrementally_equal_a_recompute_sqlite(sqlite_url: str, example: Any) -> None:
    asyncio.run(_run(sqlite_url, example))


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(example=history)
def test_links_kept_incrementally_equal_a_recompute_postgres(
    postgres_url: str, example: Any
) -> None:
    asyncio.run(_run(postgres_url, example))
