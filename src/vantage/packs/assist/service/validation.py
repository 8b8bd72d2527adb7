"""Validating SQL: the size limit, then the validator, rendered for the API."""

from __future__ import annotations

from typing import Literal

from vantage.packs.assist.schemas import FindingOut, SqlValidationOut
from vantage.packs.assist.service.errors import sql_too_large
from vantage.packs.assist.sql.findings import Finding
from vantage.packs.assist.sql.parsing import Dialect
from vantage.packs.assist.sql.validator import SqlValidator, Validation

Level = Literal["syntax", "semantics"]


def require_size(sql: str, max_bytes: int) -> None:
    """Refuse SQL over ``max_bytes`` (UTF-8) before any parsing."""
    size = len(sql.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise sql_too_large(size, max_bytes)


def finding_out(finding: Finding) -> FindingOut:
    """A finding as the API shows it."""
    return FindingOut(
        code=finding.code.value,
        severity=finding.severity.value,
        message=finding.message,
        line=finding.position.line,
        column=finding.position.column,
        subject=finding.subject,
        suggestions=list(finding.suggestions),
    )


def validation_out(validation: Validation, level: Level) -> SqlValidationOut:
    """A verdict as the API shows it."""
    return SqlValidationOut(
        valid=validation.valid,
        level=level,
        dialect=validation.dialect,
        findings=[finding_out(finding) for finding in validation.findings],
        tables=list(validation.tables),
        normalized_sql=validation.executable_sql() if validation.valid else None,
    )


def validate(
    validator: SqlValidator, sql: str, dialect: Dialect, level: Level, max_bytes: int
) -> SqlValidationOut:
    """Validate ``sql`` at ``level``: syntax and safety, or also names against the catalog."""
    require_size(sql, max_bytes)
    check = validator.syntax if level == "syntax" else validator.semantics
    return validation_out(check(sql, dialect), level)
