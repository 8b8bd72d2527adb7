"""Helpers shared by the gateway tests: usage records, row counts, a writer on a database."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from vantage.core.db import Database, utcnow
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.models import UsageDaily, UsageEvent
from vantage.packs.gateway.usage.record import UsageRecord
from vantage.packs.gateway.usage.spool import UsageSpool
from vantage.packs.gateway.usage.writer import UsageMetrics, UsageWriter, WriterOptions


def record(**overrides: Any) -> UsageRecord:
    values: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "tenant_id": 1,
        "created_at": utcnow(),
        "principal_kind": "user",
        "provider": "oa",
        "model": "gpt-4o-mini",
        "endpoint": "send",
        "streamed": False,
        "input_tokens": 100,
        "output_tokens": 20,
        "cached_tokens": 0,
        "cost_usd": Decimal("0.000027"),
        "unpriced": False,
        "estimated": False,
        "latency_ms": 120,
        "status": "ok",
        "attempts": 1,
        "user_hash": "a" * 64,
    }
    values.update(overrides)
    return UsageRecord(**values)


def writer_for(
    database: Database, spool_dir: Path, **options: Any
) -> tuple[UsageWriter, UsageSpool]:
    values: dict[str, Any] = {
        "queue_size": 1000,
        "batch_size": 50,
        "flush_interval": 0.01,
        "drain_seconds": 5.0,
        "replay_interval": 0.05,
    }
    values.update(options)
    spool = UsageSpool(spool_dir)
    registry = CollectorRegistry()
    writer = UsageWriter(
        database,
        spool,
        WriterOptions(**values),
        UsageMetrics(registry),
        SuppressedErrors(registry),
    )
    return writer, spool


async def usage_count(database: Database, tenant_id: int = 1) -> int:
    async with database.reader() as session:
        count = await session.scalar(
            select(func.count()).select_from(UsageEvent).where(UsageEvent.tenant_id == tenant_id)
        )
    return int(count or 0)


async def usage_rows(database: Database, tenant_id: int = 1) -> list[UsageEvent]:
    async with database.reader() as session:
        rows = await session.scalars(select(UsageEvent).where(UsageEvent.tenant_id == tenant_id))
        return list(rows.all())


async def rollup_requests(database: Database, tenant_id: int = 1) -> int:
    async with database.reader() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(UsageDaily.requests), 0)).where(
                UsageDaily.tenant_id == tenant_id
            )
        )
    return int(total or 0)
