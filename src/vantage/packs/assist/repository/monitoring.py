"""SQL of ML monitoring: predictions and their outcomes, reported metric points."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from vantage.core.dialect import dialect_of, insert_for, insert_for_dialect
from vantage.packs.assist.models import MetricPoint, Prediction


def cast_table(table: object) -> Table:
    """A mapped class's ``__table__`` as the Table it is."""
    assert isinstance(table, Table)
    return table


def _utc_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a stored timestamp (SQLite keeps naive UTC text)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.substr(column, 1, 10)


@cache
def _insert_new_predictions(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, its rows bound from the parameter
    sets it runs with: built once, since building a statement around every batch's values
    cost more than running it."""
    table = cast_table(Prediction.__table__)
    statement = insert_for_dialect(dialect, table).on_conflict_do_nothing(
        index_elements=["tenant_id", "model", "prediction_id"]
    )
    return statement.returning(table.c.id)  # type: ignore[no-any-return]


async def insert_predictions(
    session: AsyncSession, tenant_id: int, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert predictions not recorded yet (same model and id); how many were new."""
    values = [{**row, "tenant_id": tenant_id} for row in rows]
    statement = _insert_new_predictions(dialect_of(session))
    return len((await session.execute(statement, values)).all())


async def known_prediction_ids(
    session: AsyncSession, tenant_id: int, model: str, prediction_ids: Sequence[str]
) -> dict[str, int]:
    """The row ids of the predictions among ``prediction_ids`` that the model has recorded."""
    statement = select(Prediction.prediction_id, Prediction.id).where(
        Prediction.tenant_id == tenant_id,
        Prediction.model == model,
        Prediction.prediction_id.in_(list(prediction_ids)),
    )
    return {str(key): int(row_id) for key, row_id in await session.execute(statement)}


async def record_outcomes(
    session: AsyncSession, tenant_id: int, outcomes: Sequence[dict[str, Any]]
) -> None:
    """Set the outcomes of recorded predictions, one statement executed for every row.

    Each row has the row ``id`` of one of the tenant's predictions (``known_prediction_ids``),
    ``actual_label``, ``actual_value`` and ``outcome_at``. Rows are found by primary key alone:
    on PostgreSQL, a table not analyzed yet (predictions loaded moments before) otherwise had
    each update scan the model's every row through the time index.
    """
    if not outcomes:
        return
    # The table, not the mapped class: one statement executed for many parameter sets.
    table = cast_table(Prediction.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            actual_label=bindparam("actual_label"),
            actual_value=bindparam("actual_value"),
            outcome_at=bindparam("outcome_at"),
        )
    )
    rows = [
        {
            "row_id": row["id"],
            "actual_label": row["actual_label"],
            "actual_value": row["actual_value"],
            "outcome_at": row["outcome_at"],
        }
        for row in outcomes
    ]
    await session.execute(statement, rows)


async def list_predictions(
    session: AsyncSession, tenant_id: int, model: str | None, limit: int, offset: int
) -> tuple[list[Prediction], int]:
    """A page of the tenant's predictions, newest first, and how many match."""
    conditions = [Prediction.tenant_id == tenant_id]
    if model is not None:
        conditions.append(Prediction.model == model)
    rows = await session.execute(
        select(Prediction)
        .where(*conditions)
        .order_by(Prediction.predicted_at.desc(), Prediction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.execute(select(func.count()).select_from(Prediction).where(*conditions))
    return list(rows.scalars()), int(total.scalar_one())


def _in_window(tenant_id: int, model: str | None, start: datetime, end: datetime) -> list[Any]:
    conditions = [
        Prediction.tenant_id == tenant_id,
        Prediction.predicted_at >= start,
        Prediction.predicted_at < end,
    ]
    if model is not None:
        conditions.append(Prediction.model == model)
    return conditions


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


async def model_totals(
    session: AsyncSession,
    tenant_id: int,
    model: str | None,
    start: datetime,
    end: datetime,
    positive_label: str,
) -> list[dict[str, Any]]:
    """Per model in the window: counts, confusion counts for ``positive_label``, errors."""
    labelled = Prediction.actual_label.is_not(None)
    predicted_positive = Prediction.predicted_label == positive_label
    actual_positive = Prediction.actual_label == positive_label
    both_values = and_(
        Prediction.predicted_value.is_not(None), Prediction.actual_value.is_not(None)
    )
    error = Prediction.predicted_value - Prediction.actual_value
    statement = (
        select(
            Prediction.model.label("model"),
            func.count().label("predictions"),
            _count_if(Prediction.failed.is_(True)).label("failed"),
            _count_if(labelled | Prediction.actual_value.is_not(None)).label("with_outcome"),
            _count_if(labelled).label("labelled"),
            _count_if(and_(labelled, Prediction.predicted_label == Prediction.actual_label)).label(
                "correct"
            ),
            _count_if(and_(predicted_positive, actual_positive)).label("tp"),
            _count_if(and_(predicted_positive, labelled, ~actual_positive)).label("fp"),
            _count_if(and_(actual_positive, ~predicted_positive)).label("fn"),
            _count_if(both_values).label("regressions"),
            func.sum(case((both_values, func.abs(error)), else_=None)).label("abs_error"),
            func.sum(case((both_values, cast(error * error, Float)), else_=None)).label("sq_error"),
            func.avg(Prediction.latency_ms).label("latency_mean"),
        )
        .where(*_in_window(tenant_id, model, start, end))
        .group_by(Prediction.model)
        .order_by(Prediction.model)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def latencies(
    session: AsyncSession, tenant_id: int, model: str, start: datetime, end: datetime, cap: int
) -> list[float]:
    """Up to ``cap`` latencies of the model's latest predictions in the window."""
    statement = (
        select(Prediction.latency_ms)
        .where(*_in_window(tenant_id, model, start, end), Prediction.latency_ms.is_not(None))
        .order_by(Prediction.predicted_at.desc())
        .limit(cap)
    )
    return [
        float(value) for value in (await session.execute(statement)).scalars() if value is not None
    ]


async def feature_rows(
    session: AsyncSession, tenant_id: int, model: str, start: datetime, end: datetime, cap: int
) -> list[dict[str, Any]]:
    """Feature maps of up to ``cap`` of the model's latest predictions in the window."""
    statement = (
        select(Prediction.features)
        .where(*_in_window(tenant_id, model, start, end))
        .order_by(Prediction.predicted_at.desc())
        .limit(cap)
    )
    return [dict(value or {}) for value in (await session.execute(statement)).scalars()]


async def daily_series(
    session: AsyncSession, tenant_id: int, model: str | None, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Per model and UTC day: predictions, failures, mean latency, labelled and correct."""
    day = _utc_day(session, Prediction.predicted_at).label("day")
    labelled = Prediction.actual_label.is_not(None)
    statement = (
        select(
            Prediction.model.label("model"),
            day,
            func.count().label("predictions"),
            _count_if(Prediction.failed.is_(True)).label("failed"),
            func.avg(Prediction.latency_ms).label("latency_mean"),
            _count_if(labelled).label("labelled"),
            _count_if(and_(labelled, Prediction.predicted_label == Prediction.actual_label)).label(
                "correct"
            ),
        )
        .where(*_in_window(tenant_id, model, start, end))
        .group_by(Prediction.model, day)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def upsert_metric_points(
    session: AsyncSession, tenant_id: int, points: Sequence[dict[str, Any]]
) -> int:
    """Store reported daily values; a later report of the same day replaces the value."""
    statement = insert_for(session, MetricPoint).values(
        [{**point, "tenant_id": tenant_id} for point in points]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "model", "metric", "day"],
        set_={"value": statement.excluded.value},
    )
    await session.execute(statement)
    return len(points)


async def metric_points(
    session: AsyncSession, tenant_id: int, model: str | None, start: date, end: date
) -> list[tuple[str, str, date, float]]:
    """(model, metric, day, value) of reported points in [start, end)."""
    conditions = [
        MetricPoint.tenant_id == tenant_id,
        MetricPoint.day >= start,
        MetricPoint.day < end,
    ]
    if model is not None:
        conditions.append(MetricPoint.model == model)
    statement = select(MetricPoint.model, MetricPoint.metric, MetricPoint.day, MetricPoint.value)
    rows = await session.execute(statement.where(*conditions))
    return [(str(r[0]), str(r[1]), r[2], float(r[3])) for r in rows]
