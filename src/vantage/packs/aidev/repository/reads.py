"""Reads for the KPIs and the profile: daily rollup sums (never the raw traces)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.aidev.models import UNKNOWN, DailyUsage
from vantage.packs.gateway.service.pricing import from_nano


@dataclass(frozen=True)
class DayTotals:
    """One day of the rollup, summed over developers and models."""

    day: date
    requests: int
    identified_requests: int
    active_developers: int
    failed: int
    tokens: int
    cost_usd: Decimal
    unpriced: int
    shown: int
    accepted: int
    with_feedback: int
    positive: int


def _sums() -> list[Any]:
    d = DailyUsage
    identified = case((d.developer != UNKNOWN, d.requests), else_=0)
    active = case((d.developer != UNKNOWN, d.developer), else_=None)
    return [
        func.sum(d.requests),
        func.sum(identified),
        func.count(distinct(active)),
        func.sum(d.failed),
        func.sum(d.input_tokens + d.output_tokens),
        func.sum(d.cost_nano),
        func.sum(d.unpriced),
        func.sum(d.suggestions_shown),
        func.sum(d.suggestions_accepted),
        func.sum(d.with_feedback),
        func.sum(d.positive),
    ]


def _totals(day: date, row: Any) -> DayTotals:
    requests, identified, active, failed, tokens = (int(v or 0) for v in row[:5])
    unpriced, shown, accepted, with_feedback, positive = (int(v or 0) for v in row[6:])
    return DayTotals(
        day,
        requests,
        identified,
        active,
        failed,
        tokens,
        from_nano(int(row[5] or 0)),
        unpriced,
        shown,
        accepted,
        with_feedback,
        positive,
    )


async def daily_totals(
    session: AsyncSession, tenant_id: int, start: date, end: date, developer: str | None = None
) -> list[DayTotals]:
    """Each day in [start, end) that has requests, in date order."""
    query = (
        select(DailyUsage.day, *_sums())
        .where(DailyUsage.tenant_id == tenant_id, DailyUsage.day >= start, DailyUsage.day < end)
        .group_by(DailyUsage.day)
        .order_by(DailyUsage.day)
    )
    if developer is not None:
        query = query.where(DailyUsage.developer == developer)
    rows = await session.execute(query)
    return [_totals(row[0], row[1:]) for row in rows.all()]


async def first_day(session: AsyncSession, tenant_id: int) -> date | None:
    """The tenant's first day with requests (None before any); one seek of the rollup's key."""
    day: date | None = await session.scalar(
        select(func.min(DailyUsage.day)).where(DailyUsage.tenant_id == tenant_id)
    )
    return day


async def distinct_developers(session: AsyncSession, tenant_id: int, start: date, end: date) -> int:
    """Identified developers with at least one request in [start, end)."""
    count = await session.scalar(
        select(func.count(distinct(DailyUsage.developer))).where(
            DailyUsage.tenant_id == tenant_id,
            DailyUsage.day >= start,
            DailyUsage.day < end,
            DailyUsage.developer != UNKNOWN,
        )
    )
    return int(count or 0)


@dataclass(frozen=True)
class ModelTotals:
    model: str
    requests: int
    tokens: int
    cost_usd: Decimal
    with_feedback: int
    positive: int


async def model_totals(
    session: AsyncSession, tenant_id: int, start: date, end: date, developer: str | None = None
) -> list[ModelTotals]:
    """Per model over [start, end): requests, tokens, cost and feedback, most used first."""
    d = DailyUsage
    requests = func.sum(d.requests)
    query = (
        select(
            d.model,
            requests,
            func.sum(d.input_tokens + d.output_tokens),
            func.sum(d.cost_nano),
            func.sum(d.with_feedback),
            func.sum(d.positive),
        )
        .where(d.tenant_id == tenant_id, d.day >= start, d.day < end)
        .group_by(d.model)
        .order_by(requests.desc(), d.model)
    )
    if developer is not None:
        query = query.where(d.developer == developer)
    rows = await session.execute(query)
    return [
        ModelTotals(
            model, int(n or 0), int(t or 0), from_nano(int(c or 0)), int(f or 0), int(p or 0)
        )
        for model, n, t, c, f, p in rows.all()
    ]
