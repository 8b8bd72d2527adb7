"""The daily rollup (tenant x day x developer x model), added to in the ingest transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import Dialect, DialectStatement

_FEEDBACK = "(t.suggestions_shown > 0 OR t.rating IS NOT NULL)"
_POSITIVE = "(t.suggestions_accepted > 0 OR COALESCE(t.rating, 0) > 0)"


def _merge(day: str, written: str) -> str:
    # The unary plus keeps SQLite on the ids' primary key rather than the tenant's index.
    return f"""
    INSERT INTO aidev_daily (tenant_id, day, developer, model, requests, failed, input_tokens,
        output_tokens, cost_nano, unpriced, suggestions_shown, suggestions_accepted,
        with_feedback, positive)
    SELECT :t, {day}, t.developer, t.model, COUNT(*),
        SUM(CASE WHEN t.failed THEN 1 ELSE 0 END), SUM(t.input_tokens), SUM(t.output_tokens),
        SUM(COALESCE(t.cost_nano, 0)), SUM(CASE WHEN t.unpriced THEN 1 ELSE 0 END),
        SUM(t.suggestions_shown), SUM(t.suggestions_accepted),
        SUM(CASE WHEN {_FEEDBACK} THEN 1 ELSE 0 END),
        SUM(CASE WHEN {_FEEDBACK} AND {_POSITIVE} THEN 1 ELSE 0 END)
    FROM aidev_traces t WHERE +t.tenant_id = :t AND {written}
    GROUP BY 2, 3, 4
    ORDER BY 2, 3, 4
    ON CONFLICT (tenant_id, day, developer, model) DO UPDATE SET
        requests = aidev_daily.requests + excluded.requests,
        failed = aidev_daily.failed + excluded.failed,
        input_tokens = aidev_daily.input_tokens + excluded.input_tokens,
        output_tokens = aidev_daily.output_tokens + excluded.output_tokens,
        cost_nano = aidev_daily.cost_nano + excluded.cost_nano,
        unpriced = aidev_daily.unpriced + excluded.unpriced,
        suggestions_shown = aidev_daily.suggestions_shown + excluded.suggestions_shown,
        suggestions_accepted = aidev_daily.suggestions_accepted + excluded.suggestions_accepted,
        with_feedback = aidev_daily.with_feedback + excluded.with_feedback,
        positive = aidev_daily.positive + excluded.positive
    """  # noqa: S608 - fixed fragments only


# Rows go in key order, so that on PostgreSQL concurrent batches lock the rollup rows they share
# in the same order and wait for each other instead of deadlocking.
ADD_WRITTEN_TRACES = DialectStatement(
    sqlite=_merge("date(t.started_at)", "t.id IN (SELECT value FROM json_each(:ids))"),
    postgresql=_merge(
        "CAST(t.started_at AT TIME ZONE 'UTC' AS DATE)", "t.id = ANY(CAST(:ids AS BIGINT[]))"
    ),
)


async def add_to_daily(session: AsyncSession, tenant_id: int, trace_ids: Sequence[int]) -> None:
    """Add the traces just written (by id) to their days' rollup rows, creating those that are
    new: one ``INSERT ... SELECT ... GROUP BY`` over the batch, summed in the database."""
    if not trace_ids:
        return
    dialect = Dialect.of(session)
    ids = dialect.values(trace_ids)
    await session.execute(ADD_WRITTEN_TRACES.on(dialect), {"t": tenant_id, "ids": ids})
