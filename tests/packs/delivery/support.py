"""What delivery tests share: credentials, signed webhooks, GitHub-shaped payloads."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.auth import api_key_headers, app_of, create_api_key, user_headers
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope
from vantage.packs.delivery.github.signature import SIGNATURE_HEADER, signature_of
from vantage.packs.delivery.models import LeadTimeBucket, WebhookDelivery

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


async def make_team(client: httpx.AsyncClient, tenant_id: int) -> Team:
    app = app_of(client)
    ingest = await create_api_key(app, [Scope.INGEST, Scope.READ], tenant_id=tenant_id)
    reader = await create_api_key(app, [Scope.READ], tenant_id=tenant_id)
    admin = await user_headers(app, Role.ADMIN, tenant_id=tenant_id)
    return Team(client, tenant_id, api_key_headers(ingest), api_key_headers(reader), admin)


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
