"""Lead-time rows counted per duration and narrow value range, beside the rows themselves.

A percentile over every row of a tenant (or of its services and repositories) needs the values
at one or two ranks. Read along the duration's index with ``OFFSET``, that passes up to half of
the rows; with these counts it finds the range holding the rank first, then reads within that
range only: a first and a last value (when they are equal, every value of the range is known)
and, otherwise, the range's rows up to the rank.

The ranges: one per whole second below 1,000 s, then 0.1 % wide, so values that differ are
rarely in one range and a range rarely holds many rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import adding_upsert, dialect_of
from vantage.packs.delivery.models import LeadTime, LeadTimeBucket

MEASURES = ("lead_seconds", "coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds")
LONGEST_SECONDS = 20 * 365 * 86_400
# A range whose rows are read one by one only up to this many; past it, its first and last
# value are read first, since a range that wide in rows usually holds one value many times.
SMALL_RANGE_ROWS = 64


def _bounds() -> tuple[int, ...]:
    bounds: list[int] = []
    value = 1.0
    while value < LONGEST_SECONDS:
        bound = int(value)
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
        value *= 1.001
    return tuple(bounds)


# Range k holds the values v with BOUNDS[k - 1] <= v < BOUNDS[k]; the first has no lower bound
# and the last no upper one.
BOUNDS = _bounds()

Key = tuple[str, int, str, int]  # measure, bucket, service, repository id


def bucket_of(value: float) -> int:
    return bisect_right(BOUNDS, value)


def keys_of(row: Mapping[str, Any]) -> list[Key]:
    """The ranges one lead-time row counts in: one per duration that has a value."""
    return [
        (measure, bucket_of(row[measure]), row["service"], row["repository_id"])
        for measure in MEASURES
        if row.get(measure) is not None
    ]


async def move(
    session: AsyncSession, tenant_id: int, removed: Iterable[Key], added: Iterable[Key]
) -> None:
    """Count a lead-time row out of the ranges it had and into those it has now."""
    steps: Counter[Key] = Counter(added)
    steps.subtract(removed)
    changes = [
        {
            "tenant_id": tenant_id,
            "measure": measure,
            "bucket": bucket,
            "service": service,
            "repository_id": repository_id,
            "rows": step,
        }
        for (measure, bucket, service, repository_id), step in steps.items()
        if step
    ]
    if changes:
        statement = adding_upsert(
            dialect_of(session),
            LeadTimeBucket.__table__,
            ("tenant_id", "measure", "bucket", "service", "repository_id"),
            ("rows",),
        )
        await session.execute(statement, changes)


async def values_at(
    session: AsyncSession,
    tenant_id: int,
    where: Sequence[ColumnElement[bool]],
    matching: Sequence[ColumnElement[bool]],
    measure: str,
    positions: Iterable[int],
    count: int,
) -> dict[int, float] | None:
    """The values at ``positions`` (from 0, ascending) of one duration over the rows ``where``
    selects (``matching`` is the same scope on the counts); None when the counts do not hold
    ``count`` rows, so the caller reads the rows instead."""
    column = getattr(LeadTime, measure)
    rows = await session.execute(
        select(LeadTimeBucket.bucket, func.sum(LeadTimeBucket.rows))
        .where(LeadTimeBucket.tenant_id == tenant_id, LeadTimeBucket.measure == measure, *matching)
        .group_by(LeadTimeBucket.bucket)
        .order_by(LeadTimeBucket.bucket)
    )
    buckets = [(int(bucket), int(total)) for bucket, total in rows if total]
    ends = list(accumulate(total for _, total in buckets))
    if not ends or ends[-1] != count:
        return None
    wanted: dict[int, list[int]] = {}
    for position in sorted(set(positions)):
        wanted.setdefault(bisect_right(ends, position), []).append(position)
    found: dict[int, float] = {}
    for index, ranks in wanted.items():
        bucket, total = buckets[index]
        first = ends[index] - total
        within = [*where, *_within(column, bucket)]
        only = await _only_value(session, within, column) if total > SMALL_RANGE_ROWS else None
        for position in ranks:
            found[position] = (
                only
                if only is not None
                else await _value_in(session, within, column, position - first, total)
            )
    return found


def _within(column: Any, bucket: int) -> list[ColumnElement[bool]]:
    bounds = []
    if bucket > 0:
        bounds.append(column >= BOUNDS[bucket - 1])
    if bucket < len(BOUNDS):
        bounds.append(column < BOUNDS[bucket])
    return bounds


async def _only_value(
    session: AsyncSession, where: list[ColumnElement[bool]], column: Any
) -> float | None:
    """The value every row of a range has, if they all have the same."""
    low = await session.scalar(select(column).where(*where).order_by(column).limit(1))
    high = await session.scalar(select(column).where(*where).order_by(column.desc()).limit(1))
    return float(low) if low is not None and low == high else None


async def _value_in(
    session: AsyncSession, where: list[ColumnElement[bool]], column: Any, rank: int, total: int
) -> float:
    """The value at ``rank`` (from 0) of the ``total`` rows of one range, read from its nearer
    end."""
    if 2 * rank < total:
        query = select(column).order_by(column).offset(rank)
    else:
        query = select(column).order_by(column.desc()).offset(total - 1 - rank)
    return float((await session.execute(query.where(*where).limit(1))).scalar_one())
