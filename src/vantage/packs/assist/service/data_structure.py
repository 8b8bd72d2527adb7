"""Checking records (AI-produced rows, result sets) against the fields they must have."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pydantic import JsonValue

from vantage.core.errors import ValidationFailed
from vantage.packs.assist.schemas import (
    DataFindingOut,
    DataStructureOut,
    DataStructureRequest,
    FieldSpec,
)
from vantage.packs.assist.sql.catalog import Catalog, ColumnType
from vantage.packs.assist.sql.semantics import nearest

MAX_FINDINGS = 1_000


def _is_decimal_text(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _is_iso(value: str, kind: ColumnType) -> bool:
    try:
        if kind == "date":
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def matches(value: JsonValue, kind: ColumnType) -> bool:
    """Whether a non-null JSON value has the column type ``kind``.

    Numbers may come as decimal strings (money is serialized that way); dates and timestamps
    are ISO 8601 strings.
    """
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | float) or (
            isinstance(value, str) and _is_decimal_text(value)
        )
    if kind == "text":
        return isinstance(value, str)
    return isinstance(value, str) and _is_iso(value, kind)


def fields_for(request: DataStructureRequest, catalog: Catalog) -> list[FieldSpec]:
    """The expected fields: a view's columns, or the request's own list."""
    if (request.view is None) == (request.fields is None):
        raise ValidationFailed.field(("body", "view"), "name either a view or a list of fields")
    if request.fields is not None:
        return request.fields
    view_name = request.view or ""
    if view_name.lower() not in catalog:
        suggestions = nearest(view_name, catalog)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise ValidationFailed.field(("body", "view"), f"unknown view {view_name}{hint}")
    view = catalog[view_name]
    return [FieldSpec(name=column.name, type=column.type) for column in view.columns]


def _record_findings(
    record: dict[str, JsonValue], path: str, fields: Sequence[FieldSpec], allow_extra: bool
) -> Iterator[DataFindingOut]:
    for spec in fields:
        where = f"{path}.{spec.name}"
        if spec.name not in record:
            if spec.required:
                yield DataFindingOut(code="MISSING_FIELD", path=where, message="required field")
            continue
        value = record[spec.name]
        if value is None:
            if not spec.nullable:
                yield DataFindingOut(code="NULL_NOT_ALLOWED", path=where, message="may not be null")
        elif not matches(value, spec.type):
            message = f"expected {spec.type}, got {type(value).__name__}"
            yield DataFindingOut(code="WRONG_TYPE", path=where, message=message)
    if allow_extra:
        return
    names = [spec.name for spec in fields]
    for key in record:
        if key not in names:
            hint = nearest(key, names)
            message = "unexpected field" + (f"; did you mean {', '.join(hint)}?" if hint else "")
            yield DataFindingOut(code="UNEXPECTED_FIELD", path=f"{path}.{key}", message=message)


def check_structure(request: DataStructureRequest, catalog: Catalog) -> DataStructureOut:
    """Every record's fields against the expected ones (at most 1,000 findings)."""
    fields = fields_for(request, catalog)
    data = request.data
    records: list[tuple[str, JsonValue]] | None = [("$", data)] if isinstance(data, dict) else None
    if isinstance(data, list):
        records = [(f"$[{index}]", item) for index, item in enumerate(data)]
    if records is None:
        finding = DataFindingOut(code="NOT_AN_OBJECT", path="$", message="expected objects")
        return DataStructureOut(valid=False, records=0, findings=[finding])
    findings: list[DataFindingOut] = []
    for path, record in records:
        if not isinstance(record, dict):
            findings.append(
                DataFindingOut(code="NOT_AN_OBJECT", path=path, message="not an object")
            )
        else:
            findings.extend(_record_findings(record, path, fields, request.allow_extra_fields))
        if len(findings) >= MAX_FINDINGS:
            break
    return DataStructureOut(
        valid=not findings, records=len(records), findings=findings[:MAX_FINDINGS]
    )
