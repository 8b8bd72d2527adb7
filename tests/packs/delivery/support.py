"""What delivery tests share: credentials, signed webhooks, GitHub-shaped payloads."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.auth import (
    api_key_headers,
    app_of,
    create_api_key,
    create_user,
    headers_for,
)
from vantage.core.auth.models import Role, User
from vantage.core.auth.principal import Scope
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER, signature_of
from vantage.packs.delivery.models import (
    Deployment,
    LeadTime,
    LeadTimeBucket,
    LeadTimeDay,
    MergedDay,
    PullRequest,
    ShippedDay,
    WebhookDelivery,
)
from vantage.packs.delivery.repository.shipped_days import REWORK_KINDS

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOKS = "/api/v1/webhooks/github"
SOURCES = "/api/v1/etl/sources"
API = "/api/v1/delivery"
SECRET = "It's a Secret to Everybody"
SETTLED = {"processed", "failed", "parked", "ignored"}


def fixture(name: str) -> dict[str, Any]:
    """A real GitHub payload from tests/packs/delivery/fixtures (a fresh copy)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def iso(moment: datetime) -> str:
    """GitHub's timestamp format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha_of(label: str) -> str:
    """A stable 40-hex commit id for a label."""
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id, not a digest of secrets


@dataclass
class Team:
    """A running app with the delivery pack and credentials of one tenant."""

    client: httpx.AsyncClient
    tenant_id: int
    ingest: dict[str, str]
    reader: dict[str, str]
    admin: dict[str, str]

    async def create_source(self, repositories: list[str], **extra: Any) -> int:
        body = {"name": f"github-{uuid.uuid4().hex[:6]}", "repositories": repositories}
        body |= extra if extra else {"secret": SECRET}
        response = await self.client.post(SOURCES, json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def send(
        self,
        source_id: int,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        delivery_id: str | None = None,
        secret: str | None = SECRET,
        query: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        }
        if secret is not None:
            headers[SIGNATURE_HEADER] = signature_of(secret, body)
        return await self.client.post(
            WEBHOOKS, params={"source": source_id, **(query or {})}, content=body, headers=headers
        )

    async def deliveries(self) -> list[WebhookDelivery]:
        async with app_of(self.client).state.database.reader() as session:
            rows = await session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.tenant_id == self.tenant_id)
                .order_by(WebhookDelivery.id)
            )
            return list(rows.scalars().all())

    async def settled(self, delivery_id: str) -> WebhookDelivery:
        """The delivery once its processing ended (the in-process job queue runs it)."""
        for _ in range(400):
            for row in await self.deliveries():
                if row.delivery_id == delivery_id and row.status in SETTLED:
                    return row
            await asyncio.sleep(0.025)
        raise AssertionError(f"delivery {delivery_id} was not processed")

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(API + path, params=params, headers=self.reader)

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(API + path, json=body, headers={**self.ingest, **headers})


@dataclass(frozen=True)
class TeamCredentials:
    """A tenant's keys and admin, as stored in its database: they outlive one app."""

    tenant_id: int
    ingest: dict[str, str]
    reader: dict[str, str]
    admin: User

    def team(self, client: httpx.AsyncClient) -> Team:
        """The team on ``client``'s app; the admin's token is issued now (tokens expire)."""
        admin = headers_for(app_of(client), self.admin)
        return Team(client, self.tenant_id, self.ingest, self.reader, admin)


async def make_credentials(client: httpx.AsyncClient, tenant_id: int) -> TeamCredentials:
    app = app_of(client)
    ingest = await create_api_key(app, [Scope.INGEST, Scope.READ], tenant_id=tenant_id)
    reader = await create_api_key(app, [Scope.READ], tenant_id=tenant_id)
    admin = await create_user(app, Role.ADMIN, tenant_id=tenant_id)
    return TeamCredentials(tenant_id, api_key_headers(ingest), api_key_headers(reader), admin)


async def make_team(client: httpx.AsyncClient, tenant_id: int) -> Team:
    return (await make_credentials(client, tenant_id)).team(client)


async def value_range_counts(
    session: AsyncSession, tenant_id: int
) -> dict[tuple[str, int, str, int], int]:
    """The tenant's non-zero lead-time counts by (measure, range, service, repository)."""
    rows = await session.execute(
        select(
            LeadTimeBucket.measure,
            LeadTimeBucket.bucket,
            LeadTimeBucket.service,
            LeadTimeBucket.repository_id,
            LeadTimeBucket.rows,
        ).where(LeadTimeBucket.tenant_id == tenant_id, LeadTimeBucket.rows != 0)
    )
    return {
        (measure, bucket, service, repository): n
        for measure, bucket, service, repository, n in rows
    }


DayCounts = dict[tuple[Any, ...], tuple[int, ...]]
WHOLE = ("", 0)  # the whole tenant's service and repository in the per-day counts


async def day_counts(session: AsyncSession, tenant_id: int) -> dict[str, DayCounts]:
    """The tenant's non-zero per-day counts, per table, by (day, service, repository)."""
    found: dict[str, DayCounts] = {}
    for table, key, counters in (
        (ShippedDay, ("service", "repository_id"), ("deployments", "failed", "reworked")),
        (LeadTimeDay, ("service", "repository_id"), ("lead_times", "pickups", "reviews")),
        (MergedDay, ("repository_id",), ("merged", "linked")),
    ):
        columns = [getattr(table, name) for name in ("day", *key, *counters)]
        rows = await session.execute(select(*columns).where(table.tenant_id == tenant_id))
        found[table.__tablename__] = {
            tuple(row[: 1 + len(key)]): tuple(row[1 + len(key) :])
            for row in rows
            if any(row[1 + len(key) :])
        }
    return found


def _recount(counted: Iterable[tuple[tuple[Any, ...], tuple[bool, ...]]]) -> DayCounts:
    """Per-day counts of rows given as ((day, *key), flags): each row adds its flags under its
    own key and under the whole tenant's."""
    counts: dict[tuple[Any, ...], list[int]] = {}
    for (day, *key), flags in counted:
        for row_key in ((day, *key), (day, *WHOLE[-len(key) :])):
            totals = counts.setdefault(row_key, [0] * len(flags))
            for index, flag in enumerate(flags):
                totals[index] += flag
    return {key: tuple(totals) for key, totals in counts.items()}


async def recounted_day_counts(session: AsyncSession, tenant_id: int) -> dict[str, DayCounts]:
    """``day_counts`` as a recount of the rows they count would give."""
    deployments = select(Deployment).where(
        Deployment.tenant_id == tenant_id,
        Deployment.production.is_(True),
        Deployment.result == "success",
        Deployment.deployed_at.is_not(None),
    )
    leads = select(LeadTime).where(LeadTime.tenant_id == tenant_id)
    pulls = select(PullRequest).where(
        PullRequest.tenant_id == tenant_id, PullRequest.merged_at.is_not(None)
    )
    return {
        ShippedDay.__tablename__: _recount(
            ((_day(d.deployed_at), d.service, d.repository_id or 0),
             (True, d.incident_count > 0, d.kind in REWORK_KINDS))
            for d in (await session.execute(deployments)).scalars()
        ),
        LeadTimeDay.__tablename__: _recount(
            ((_day(row.deployed_at), row.service, row.repository_id),
             (True, row.pickup_seconds is not None, row.review_seconds is not None))
            for row in (await session.execute(leads)).scalars()
        ),
        MergedDay.__tablename__: _recount(
            ((_day(pull.merged_at), pull.repository_id), (True, pull.deployment_id is not None))
            for pull in (await session.execute(pulls)).scalars()
        ),
    }  # fmt: skip


def _day(moment: datetime | None) -> date:
    assert moment is not None
    return moment.astimezone(UTC).date()
