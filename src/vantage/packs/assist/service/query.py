"""``/ai/query``: validate, then run read-only over the caller's views."""

from __future__ import annotations

import time
from dataclasses import dataclass

from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.packs.assist.repository.execution import (
    ExecutionLimits,
    QueryFailed,
    QueryTimedOut,
    execute_read_only,
)
from vantage.packs.assist.schemas import QueryOut, QueryRequest
from vantage.packs.assist.service.errors import QueryTimeout, database_refused, sql_rejected
from vantage.packs.assist.service.results import json_value
from vantage.packs.assist.service.validation import finding_out, require_size
from vantage.packs.assist.settings import AssistSettings
from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.parsing import Dialect
from vantage.packs.assist.sql.validator import SqlValidator


@dataclass(frozen=True)
class QueryEngine:
    """What running a query needs: the database, its dialect, the validator and the limits."""

    database: Database
    dialect: Dialect
    validator: SqlValidator
    catalog: Catalog
    settings: AssistSettings


def limits_for(request: QueryRequest, settings: AssistSettings) -> ExecutionLimits:
    """The request's row cap and timeout, which may only tighten the pack's."""
    if request.max_rows is not None and request.max_rows > settings.max_rows:
        raise ValidationFailed.field(("body", "max_rows"), f"at most {settings.max_rows}")
    if request.timeout_ms is not None and request.timeout_ms > settings.query_timeout_ms:
        raise ValidationFailed.field(("body", "timeout_ms"), f"at most {settings.query_timeout_ms}")
    return ExecutionLimits(
        timeout_ms=request.timeout_ms or settings.query_timeout_ms,
        max_rows=request.max_rows or settings.max_rows,
    )


async def run_query(engine: QueryEngine, tenant_id: int, request: QueryRequest) -> QueryOut:
    """Validate the query, then run it read-only for ``tenant_id``."""
    require_size(request.sql, engine.settings.max_sql_bytes)
    limits = limits_for(request, engine.settings)
    validation = engine.validator.semantics(request.sql, engine.dialect)
    findings = [finding_out(finding) for finding in validation.findings]
    if not validation.valid:
        raise sql_rejected(findings)
    sql = validation.executable_sql()
    views = [engine.catalog[name] for name in engine.catalog]
    began = time.perf_counter()
    try:
        result = await execute_read_only(engine.database, sql, tenant_id, views, limits)
    except QueryTimedOut as error:
        raise QueryTimeout(f"the query ran longer than {limits.timeout_ms} ms") from error
    except QueryFailed as error:
        raise database_refused(str(error)) from error
    elapsed_ms = (time.perf_counter() - began) * 1000
    return QueryOut(
        columns=result.columns,
        rows=[[json_value(value) for value in row] for row in result.rows],
        row_count=len(result.rows),
        truncated=result.truncated,
        elapsed_ms=round(elapsed_ms, 3),
        dialect=engine.dialect,
        executed_sql=sql,
        warnings=[finding for finding in findings if finding.severity == "warning"],
    )
