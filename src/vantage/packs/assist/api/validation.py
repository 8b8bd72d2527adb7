"""``/api/v1/ai/validate/...``: SQL syntax, SQL semantics and data structures."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.auth.dependencies import AnalyzePrincipal
from vantage.core.ratelimit import rate_limit
from vantage.packs.assist.runtime import AssistRuntimeDep
from vantage.packs.assist.schemas import (
    DataStructureOut,
    DataStructureRequest,
    SqlRequest,
    SqlValidationOut,
)
from vantage.packs.assist.service import data_structure
from vantage.packs.assist.service.validation import validate

router = APIRouter(
    prefix="/api/v1/ai/validate",
    tags=["assist"],
    dependencies=[Depends(rate_limit("assist.analyze"))],
)


@router.post("/sql-syntax", response_model=SqlValidationOut, summary="One safe, parsable query")
async def sql_syntax(
    body: SqlRequest, runtime: AssistRuntimeDep, _principal: AnalyzePrincipal
) -> SqlValidationOut:
    dialect = body.dialect or runtime.dialect
    return validate(runtime.validator, body.sql, dialect, "syntax", runtime.settings.max_sql_bytes)


@router.post(
    "/sql-semantics", response_model=SqlValidationOut, summary="Syntax, plus tables and columns"
)
async def sql_semantics(
    body: SqlRequest, runtime: AssistRuntimeDep, _principal: AnalyzePrincipal
) -> SqlValidationOut:
    dialect = body.dialect or runtime.dialect
    max_bytes = runtime.settings.max_sql_bytes
    return validate(runtime.validator, body.sql, dialect, "semantics", max_bytes)


@router.post(
    "/data-structure", response_model=DataStructureOut, summary="Records against their fields"
)
async def data_structure_check(
    body: DataStructureRequest, runtime: AssistRuntimeDep, _principal: AnalyzePrincipal
) -> DataStructureOut:
    return data_structure.check_structure(body, runtime.catalog)
