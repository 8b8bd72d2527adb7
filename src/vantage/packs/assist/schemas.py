"""Request and response models of the assist pack."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from vantage.packs.assist.sql.catalog import ColumnType
from vantage.packs.assist.sql.parsing import Dialect


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlRequest(_Strict):
    """A query to validate; the dialect defaults to the database's own."""

    sql: str = Field(description="One SQL statement (at most VANTAGE_ASSIST_MAX_SQL_BYTES)")
    dialect: Dialect | None = Field(default=None, description="postgres or sqlite")


class FindingOut(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    message: str
    line: int
    column: int
    subject: str | None = None
    suggestions: list[str] = Field(default_factory=list)


class SqlValidationOut(BaseModel):
    valid: bool
    level: Literal["syntax", "semantics"]
    dialect: Dialect
    findings: list[FindingOut]
    tables: list[str]
    normalized_sql: str | None = Field(
        description="The query as it would run (re-generated from its tree), when valid"
    )


class QueryRequest(_Strict):
    sql: str = Field(description="One read-only query over the analytics views")
    max_rows: int | None = Field(default=None, ge=1, description="At most the pack's row cap")
    timeout_ms: int | None = Field(default=None, ge=10, description="At most the pack's limit")


class QueryOut(BaseModel):
    columns: list[str]
    rows: list[list[JsonValue]]
    row_count: int
    truncated: bool = Field(description="More rows matched than were returned")
    elapsed_ms: float
    dialect: Dialect
    executed_sql: str
    warnings: list[FindingOut]


class FieldSpec(_Strict):
    name: str = Field(min_length=1, max_length=128)
    type: ColumnType
    required: bool = True
    nullable: bool = True


class DataStructureRequest(_Strict):
    """Records to check against a view's columns or an explicit list of fields."""

    data: JsonValue = Field(description="One object or a list of objects")
    view: str | None = Field(default=None, max_length=128)
    fields: list[FieldSpec] | None = Field(default=None, max_length=500)
    allow_extra_fields: bool = False


class DataFindingOut(BaseModel):
    code: str
    path: str
    message: str


class DataStructureOut(BaseModel):
    valid: bool
    records: int
    findings: list[DataFindingOut]
