"""SQL that stores usage: the idempotent insert, the daily rollup and the watermark bump."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.gateway.models import UsageDaily, UsageEvent
from vantage.packs.gateway.pricing import to_nano
from vantage.packs.gateway.usage.record import UsageRecord

PACK_NAME = "gateway"
RollupKey = tuple[int, date, str, str, str, str]


def _insert_for(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"no upsert for {dialect}")


@dataclass
class _Totals:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_nanousd: int = 0
    latency_ms_sum: int = 0
    estimated_requests: int = 0
    unpriced_requests: int = 0

    def add(self, record: UsageRecord) -> None:
        self.requests += 1
        self.errors += record.status != "ok"
        self.input_tokens += record.input_tokens
        self.output_tokens += record.output_tokens
        self.cached_tokens += record.cached_tokens
        self.cost_nanousd += to_nano(record.cost_usd)
        self.latency_ms_sum += record.latency_ms
        self.estimated_requests += record.estimated
        self.unpriced_requests += record.unpriced


def rollup_key(record: UsageRecord) -> RollupKey:
    return (
        record.tenant_id,
        record.created_at.date(),
        record.provider,
        record.model,
        record.specialist_slug or "",
        record.user_hash or "",
    )


async def insert_usage(session: AsyncSession, records: Sequence[UsageRecord]) -> int:
    """Insert rows not stored yet, fold exactly those into the rollup; returns how many."""
    unique = list({(r.tenant_id, r.request_id): r for r in records}.values())
    if not unique:
        return 0
    insert = _insert_for(session)
    statement = (
        insert(UsageEvent)
        .values([r.row() for r in unique])
        .on_conflict_do_nothing(index_elements=[UsageEvent.tenant_id, UsageEvent.request_id])
        .returning(UsageEvent.tenant_id, UsageEvent.request_id)
    )
    stored = {(row[0], row[1]) for row in (await session.execute(statement)).all()}
    inserted = [r for r in unique if (r.tenant_id, r.request_id) in stored]
    await _fold_into_rollup(session, inserted)
    for tenant_id in sorted({r.tenant_id for r in inserted}):
        await bump_watermark(session, tenant_id, PACK_NAME)
    return len(inserted)


async def _fold_into_rollup(session: AsyncSession, records: Sequence[UsageRecord]) -> None:
    totals: dict[RollupKey, _Totals] = {}
    for record in records:
        totals.setdefault(rollup_key(record), _Totals()).add(record)
    if not totals:
        return
    insert = _insert_for(session)
    rows = [
        {
            "tenant_id": key[0],
            "day": key[1],
            "provider": key[2],
            "model": key[3],
            "specialist_slug": key[4],
            "user_hash": key[5],
            **vars(value),
        }
        # A fixed key order keeps concurrent writers from deadlocking on PostgreSQL.
        for key, value in sorted(totals.items(), key=lambda item: item[0])
    ]
    statement = insert(UsageDaily).values(rows)
    excluded = statement.excluded
    additive = list(vars(_Totals()))
    statement = statement.on_conflict_do_update(
        index_elements=[
            UsageDaily.tenant_id,
            UsageDaily.day,
            UsageDaily.provider,
            UsageDaily.model,
            UsageDaily.specialist_slug,
            UsageDaily.user_hash,
        ],
        set_={name: getattr(UsageDaily, name) + getattr(excluded, name) for name in additive},
    )
    await session.execute(statement)
