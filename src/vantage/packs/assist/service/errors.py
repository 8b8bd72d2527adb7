"""Problems the assist services raise (rendered as RFC 9457 documents by the core)."""

from __future__ import annotations

from vantage.core.errors import PayloadTooLarge, ValidationFailed, VantageError
from vantage.packs.assist.schemas import FindingOut


class QueryTimeout(VantageError):
    status, code, title = 504, "TIMEOUT", "Query timed out"


def sql_too_large(size: int, limit: int) -> PayloadTooLarge:
    """The SQL text is larger than the pack accepts."""
    return PayloadTooLarge(f"the SQL is {size} bytes; at most {limit} bytes are accepted")


def sql_rejected(findings: list[FindingOut]) -> ValidationFailed:
    """The query did not validate; every error finding is listed."""
    errors = [
        {"loc": ["body", "sql"], "message": finding.message, "type": finding.code}
        for finding in findings
        if finding.severity == "error"
    ]
    return ValidationFailed(
        "the query did not pass validation",
        errors=errors,
        extra={"findings": [finding.model_dump() for finding in findings]},
    )


def database_refused(message: str) -> ValidationFailed:
    """The database refused a validated query (a type error, a division by zero ...)."""
    return ValidationFailed(f"the database refused the query: {message[:500]}")
