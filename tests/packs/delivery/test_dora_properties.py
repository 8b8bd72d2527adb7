"""Random histories (pull requests, deployments and incidents arriving in any order, some
deployments failed, outside production, rollbacks or hotfixes, several services): the per-day
and value-range counts equal a recount of their rows, and the DORA figures read from them equal
the figures computed from the window's rows, for random windows and scopes, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.packs.delivery.support import (
    day_counts,
    recounted_day_counts,
    sha_of,
    value_range_counts,
)
from tests.support.property_databases import new_tenant, opened_database
from vantage.core.db import Database
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.models import Commit, LeadTime
from vantage.packs.delivery.repository import lead_time_buckets, records
from vantage.packs.delivery.repository.lead_time_buckets import MEASURES
from vantage.packs.delivery.service.dora import DoraFilter, dora, dora_from_rows
from vantage.packs.delivery.service.ingest import (
    DeploymentEvent,
    IncidentEvent,
    record_deployment,
    record_incident,
)

START = datetime(2025, 3, 3, tzinfo=UTC)
WINDOW = timedelta(hours=72)
SERVICES = ("api", "web")

pull = st.fixed_dictionaries(
    {
        "hour": st.integers(0, 24 * 20),
        "coding": st.integers(0, 48),
        "review": st.one_of(st.none(), st.integers(0, 30)),
    }
)
deployment = st.fixed_dictionaries(
    {
        "hour": st.integers(0, 24 * 21),
        "upto": st.integers(0, 40),  # the pull request whose merge commit it deploys
        "service": st.sampled_from(SERVICES),
        "kind": st.sampled_from(("normal", "normal", "hotfix", "rollback")),
        "state": st.sampled_from(("success", "success", "success", "failure")),
        "production": st.sampled_from((True, True, True, False)),
    }
)
incident = st.fixed_dictionaries(
    {
        "hour": st.integers(0, 24 * 21),
        "service": st.sampled_from(SERVICES),
        "restored": st.one_of(st.none(), st.integers(1, 30)),
        "resolved": st.one_of(st.none(), st.integers(1, 40)),
    }
)
history = st.fixed_dictionaries(
    {
        "pulls": st.lists(pull, min_size=1, max_size=30),
        "deployments": st.lists(deployment, min_size=1, max_size=12),
        "incidents": st.lists(incident, max_size=6),
        "order": st.randoms(use_true_random=False),
        "windows": st.lists(
            st.tuples(st.integers(-2, 22), st.integers(1, 25)), min_size=1, max_size=3
        ),
        # Whether every value range is probed for a single value first, as wide ones are.
        "probe_ranges": st.booleans(),
    }
)


async def _pulls(database: Database, tenant_id: int, pulls: list[dict[str, Any]]) -> int:
    """A linear history: pull request i merges commit i (in merge order)."""
    async with database.transaction() as session:
        repository = await records.add_repository(session, tenant_id, "acme/api")
        parent: str | None = None
        for number, pr in enumerate(sorted(pulls, key=lambda p: p["hour"])):
            merged = START + timedelta(hours=pr["hour"], minutes=number)
            opened = merged - timedelta(hours=2)
            sha = sha_of(f"{tenant_id}-{number}")
            session.add(
                Commit(
                    tenant_id=tenant_id,
                    repository_id=repository.id,
                    sha=sha,
                    parents=[parent] if parent else [],
                    subject=f"Change (#{number})",
                    authored_at=merged,
                    committed_at=merged,
                )
            )
            review = pr["review"]
            await records.upsert_pull_request(
                session,
                tenant_id,
                repository.id,
                {
                    "number": number,
                    "state": "merged",
                    "opened_at": opened,
                    "merged_at": merged,
                    "first_commit_at": opened - timedelta(hours=pr["coding"]),
                    "first_review_at": None
                    if review is None
                    else opened + timedelta(minutes=review),
                    "merge_commit_sha": sha,
                    "labels": [],
                },
            )
            parent = sha
        return repository.id


async def _run(url: str, case: dict[str, Any]) -> None:
    async with opened_database(url) as database:
        tenant_id = await new_tenant(database)
        repository_id = await _pulls(database, tenant_id, case["pulls"])
        events: list[Any] = []
        for index, d in enumerate(case["deployments"]):
            upto = min(d["upto"], len(case["pulls"]) - 1)
            events.append(
                DeploymentEvent(
                    external_id=f"d{index}",
                    service=d["service"],
                    environment="production" if d["production"] else "staging",
                    production=d["production"],
                    repository_id=repository_id,
                    commit_sha=sha_of(f"{tenant_id}-{upto}"),
                    kind=d["kind"],
                    state=d["state"],
                    at=START + timedelta(hours=d["hour"]),
                )
            )
        for index, i in enumerate(case["incidents"]):
            created = START + timedelta(hours=i["hour"])
            events.append(
                IncidentEvent(
                    external_id=f"i{index}",
                    service=i["service"],
                    title="",
                    severity=None,
                    created_at=created,
                    restored_at=None
                    if i["restored"] is None
                    else created + timedelta(hours=i["restored"]),
                    resolved_at=None
                    if i["resolved"] is None
                    else created + timedelta(hours=i["resolved"]),
                    linked_deployment=None,
                    root_cause_sha=None,
                )
            )
        case["order"].shuffle(events)
        for event in events:
            async with database.transaction() as session:
                if isinstance(event, DeploymentEvent):
                    await record_deployment(session, tenant_id, event, WINDOW)
                else:
                    await record_incident(session, tenant_id, event, WINDOW)
        await _assert_value_ranges_count_the_rows(database, tenant_id)
        async with database.reader() as session:
            assert await day_counts(session, tenant_id) == await recounted_day_counts(
                session, tenant_id
            )
        scopes = [DoraFilter(), DoraFilter(service="api"), DoraFilter(repository="acme/api")]
        # The last window holds every row: its percentiles are read along the value indexes.
        for first_day, days in [*case["windows"], (-3, 30)]:
            begin = START + timedelta(days=first_day, hours=first_day % 5)
            window = TimeWindow(begin, begin + timedelta(days=days))
            for scope in scopes:
                async with database.reader() as session:
                    with patch.object(
                        lead_time_buckets, "SMALL_RANGE_ROWS", 0 if case["probe_ranges"] else 64
                    ):
                        kept = await dora(session, tenant_id, scope, window)
                    from_rows = await dora_from_rows(session, tenant_id, scope, window)
                assert kept == from_rows


async def _assert_value_ranges_count_the_rows(database: Database, tenant_id: int) -> None:
    async with database.reader() as session:
        rows = (
            await session.execute(select(LeadTime).where(LeadTime.tenant_id == tenant_id))
        ).scalars()
        expected = Counter(
            key
            for row in rows
            for key in lead_time_buckets.keys_of(
                {name: getattr(row, name) for name in ("service", "repository_id", *MEASURES)}
            )
        )
        counted = await value_range_counts(session, tenant_id)
    assert counted == dict(expected)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=history)
def test_figures_equal_those_of_the_rows_sqlite(sqlite_url: str, case: Any) -> None:
    asyncio.run(_run(sqlite_url, case))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=history)
def test_figures_equal_those_of_the_rows_postgres(postgres_url: str, case: Any) -> None:
    asyncio.run(_run(postgres_url, case))
