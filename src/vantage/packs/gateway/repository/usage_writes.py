"""SQL that stores usage: the idempotent insert, the daily rollup and the watermark bump."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import adding_upsert, dialect_of, insert_for_dialect
from vantage.core.watermarks import bump_watermark
from vantage.packs.gateway.domain.pricing import to_nano
from vantage.packs.gateway.models import UsageDaily, UsageEvent
from vantage.packs.gateway.settings import PACK_NAME
from vantage.packs.gateway.usage.record import UsageRecord

RollupKey = tuple[int, date, str, str, str, str]


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


USAGE: Table = UsageEvent.__table__  # type: ignore[assignment]
DAILY: Table = UsageDaily.__table__  # type: ignore[assignment]
ROLLUP_KEY = ("tenant_id", "day", "provider", "model", "specialist_slug", "user_hash")
ADDITIVE = tuple(vars(_Totals()))


def _statements(dialect: str) -> tuple[Any, Any]:
    """The insert and the rollup upsert, built once per dialect: executemany reuses them."""
    if dialect not in _STATEMENTS:
        rows = (
            insert_for_dialect(dialect, USAGE)
            .on_conflict_do_nothing(index_elements=[USAGE.c.tenant_id, USAGE.c.request_id])
            .returning(USAGE.c.tenant_id, USAGE.c.request_id)
        )
        _STATEMENTS[dialect] = (rows, adding_upsert(dialect, DAILY, ROLLUP_KEY, ADDITIVE))
    return _STATEMENTS[dialect]


_STATEMENTS: dict[str, tuple[Any, Any]] = {}


async def insert_usage(session: AsyncSession, records: Sequence[UsageRecord]) -> list[UsageRecord]:
    """Insert rows not stored yet, fold exactly those into the rollup; returns those rows."""
    unique = list({(r.tenant_id, r.request_id): r for r in records}.values())
    if not unique:
        return []
    rows, upsert = _statements(dialect_of(session))
    result = await session.execute(rows, [r.row() for r in unique])
    stored = {(row[0], row[1]) for row in result.all()}
    inserted = [r for r in unique if (r.tenant_id, r.request_id) in stored]
    totals: dict[RollupKey, _Totals] = {}
    for record in inserted:
        totals.setdefault(rollup_key(record), _Totals()).add(record)
    if totals:
        # A fixed key order keeps concurrent writers from deadlocking on PostgreSQL.
        await session.execute(
            upsert,
            [
                {**dict(zip(ROLLUP_KEY, key, strict=True)), **vars(value)}
                for key, value in sorted(totals.items(), key=lambda item: item[0])
            ],
        )
    for tenant_id in sorted({r.tenant_id for r in inserted}):
        await bump_watermark(session, tenant_id, PACK_NAME)
    return inserted
