"""Portfolio: who owns which repositories and services, team and project roll-ups, and
Monte Carlo forecasts from a scope's weekly throughput."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import ValidationFailed
from vantage.core.watermarks import bump_watermark, read_watermark
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.repository import dora as dora_reads
from vantage.packs.delivery.repository import portfolio as rows
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.schemas import (
    DoraOut,
    ForecastIn,
    ForecastOut,
    ForecastPoint,
    OwnershipBatchIn,
    OwnershipIn,
    PortfolioOut,
    RollupOut,
)
from vantage.packs.delivery.service.dora import DoraFilter, dora
from vantage.packs.delivery.service.ingest import PACK_NAME

FORECAST_LEVELS = (("p50", 0.50), ("p85", 0.85), ("p95", 0.95))
MAX_SIMULATED_WEEKS = 520


async def save_ownership(session: AsyncSession, tenant_id: int, batch: OwnershipBatchIn) -> int:
    """Set the team and project of each repository or service named."""
    await rows.save_ownership(
        session,
        [
            {"tenant_id": tenant_id, "kind": e.kind, "name": e.name, "team": e.team,
             "project": e.project}
            for e in batch.entries
        ],
    )  # fmt: skip
    await bump_watermark(session, tenant_id, PACK_NAME)
    return len(batch.entries)


async def list_ownership(session: AsyncSession, tenant_id: int) -> list[OwnershipIn]:
    """The tenant's portfolio mapping."""
    return [
        OwnershipIn(kind=row.kind, name=row.name, team=row.team, project=row.project)
        for row in await rows.ownership(session, tenant_id)
    ]


def rollup(name: str, figures: DoraOut) -> RollupOut:
    """The headline figures of one team or project."""
    return RollupOut(
        name=name,
        deployments=figures.deployment_frequency.deployments,
        deployments_per_day=figures.deployment_frequency.per_day,
        lead_time_p50_seconds=figures.lead_time.p50_seconds,
        change_failure_rate=figures.change_failure_rate.rate,
        failed_deployment_recovery_p50_seconds=figures.failed_deployment_recovery_time.p50_seconds,
        rework_rate=figures.rework_rate.rate,
        pull_requests_linked_pct=figures.coverage.pull_requests_linked_pct,
        band_2024=figures.bands.dora_2024.overall,
    )


async def portfolio(session: AsyncSession, tenant_id: int, window: TimeWindow) -> PortfolioOut:
    """DORA figures per team and per project of the portfolio mapping."""
    owned = await rows.ownership(session, tenant_id)
    teams = sorted({row.team for row in owned if row.team})
    projects = sorted({row.project for row in owned if row.project})
    return PortfolioOut(
        window=window.out(),
        data_as_of=(await read_watermark(session, tenant_id, PACK_NAME)).updated_at,
        teams=[
            rollup(team, await dora(session, tenant_id, DoraFilter(team=team), window))
            for team in teams
        ],
        projects=[
            rollup(project, await dora(session, tenant_id, DoraFilter(project=project), window))
            for project in projects
        ],
    )


def _monday(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=UTC)


async def _scope(
    session: AsyncSession, tenant_id: int, request: ForecastIn
) -> frozenset[int] | None:
    chosen: set[int] | None = None
    if request.repository is not None:
        chosen = await records.repository_ids(session, tenant_id, [request.repository])
    if request.team is not None or request.project is not None:
        owned = await dora_reads.owned(
            session, tenant_id, team=request.team, project=request.project
        )
        ids = await records.repository_ids(
            session, tenant_id, [n for k, n in owned if k == "repository"]
        )
        ids |= await dora_reads.repositories_of_services(
            session, tenant_id, {n for k, n in owned if k == "service"}
        )
        chosen = ids if chosen is None else chosen & ids
    return None if chosen is None else frozenset(chosen)


def simulate_weeks(history: list[int], items: int, simulations: int, seed: int) -> list[int]:
    """Weeks each simulated future needs for ``items``, drawing weeks from ``history``."""
    generator = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    needed = []
    for _ in range(simulations):
        done = weeks = 0
        while done < items and weeks < MAX_SIMULATED_WEEKS:
            done += generator.choice(history)
            weeks += 1
        needed.append(weeks)
    return sorted(needed)


async def forecast(
    session: AsyncSession, tenant_id: int, request: ForecastIn, now: datetime
) -> ForecastOut:
    """Completion dates at 50, 85 and 95 % from a Monte Carlo over past weekly throughput."""
    end = _monday(request.history_end or now)
    start = end - timedelta(weeks=request.history_weeks)
    scope = await _scope(session, tenant_id, request)
    weekly = [0] * request.history_weeks
    for merged in await rows.merge_times(session, tenant_id, start, end, scope):
        weekly[int((merged - start).total_seconds() // (7 * 86400))] += 1
    if not any(weekly):
        raise ValidationFailed.field(
            ("body", "history_weeks"), "no pull request merged in the scope in these weeks"
        )
    seed = request.seed if request.seed is not None else random.SystemRandom().randrange(2**31)
    needed = simulate_weeks(weekly, request.items, request.simulations, seed)
    completion = {}
    for label, level in FORECAST_LEVELS:
        weeks = needed[min(len(needed) - 1, math.ceil(level * len(needed)) - 1)]
        completion[label] = ForecastPoint(weeks=weeks, date=end + timedelta(weeks=weeks))
    return ForecastOut(
        items=request.items,
        weekly_throughput=weekly,
        simulations=request.simulations,
        seed=seed,
        start=end,
        completion=completion,
    )
