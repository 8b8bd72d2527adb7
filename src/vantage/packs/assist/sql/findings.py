"""What a validator reports: one finding per problem, with a stable code and a position."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Code(StrEnum):
    """Stable finding codes (docs/packs/assist.md lists each with its rule)."""

    EMPTY = "SQL_EMPTY"
    FORBIDDEN_CHARACTER = "SQL_FORBIDDEN_CHARACTER"
    PARSE_ERROR = "SQL_PARSE_ERROR"
    MULTIPLE_STATEMENTS = "SQL_MULTIPLE_STATEMENTS"
    NOT_A_QUERY = "SQL_NOT_A_QUERY"
    FORBIDDEN_STATEMENT = "SQL_FORBIDDEN_STATEMENT"
    DATA_MODIFYING_CTE = "SQL_DATA_MODIFYING_CTE"
    SELECT_INTO = "SQL_SELECT_INTO"
    LOCKING_CLAUSE = "SQL_LOCKING_CLAUSE"
    FORBIDDEN_FUNCTION = "SQL_FORBIDDEN_FUNCTION"
    QUALIFIED_TABLE = "SQL_QUALIFIED_TABLE"
    UNKNOWN_TABLE = "SQL_UNKNOWN_TABLE"
    UNKNOWN_COLUMN = "SQL_UNKNOWN_COLUMN"
    MISSING_LIMIT = "SQL_MISSING_LIMIT"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Position:
    """1-based line and column of a place in the SQL text."""

    line: int = 1
    column: int = 1

    @classmethod
    def at_offset(cls, sql: str, offset: int) -> Position:
        """The line and column of the character at ``offset`` (0-based) in ``sql``."""
        offset = max(0, min(offset, len(sql)))
        line_start = sql.rfind("\n", 0, offset) + 1
        return cls(line=sql.count("\n", 0, offset) + 1, column=offset - line_start + 1)


@dataclass(frozen=True)
class Finding:
    """One problem: errors make the SQL invalid, warnings only advise."""

    code: Code
    message: str
    position: Position = field(default_factory=Position)
    severity: Severity = Severity.ERROR
    subject: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
