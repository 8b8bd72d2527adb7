"""Parsing one statement with sqlglot, with every failure turned into a positioned finding."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from vantage.packs.assist.sql.findings import Code, Finding, Position

Dialect = Literal["postgres", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgres", "sqlite")

# Tab, line feed and carriage return are the only control characters a query needs. Format
# characters (zero-width spaces and joiners, bidirectional overrides) make text read
# differently from how a database parses it.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class Parsed:
    """The statement's tree, or the findings that kept it from being one query tree."""

    tree: exp.Expr | None
    findings: tuple[Finding, ...]


def first_offset(node: exp.Expr) -> int | None:
    """The offset of the earliest token under ``node`` that sqlglot kept a position for."""
    offsets = [
        child.meta["start"]
        for child in node.walk()
        if isinstance(child, exp.Expr) and "start" in child.meta
    ]
    return min(offsets) if offsets else None


def position_of(sql: str, node: exp.Expr) -> Position:
    """Where ``node`` starts in ``sql`` (the statement's start when sqlglot kept no position)."""
    offset = first_offset(node)
    return Position() if offset is None else Position.at_offset(sql, offset)


def _forbidden_character(sql: str) -> Finding | None:
    for offset, character in enumerate(sql):
        category = unicodedata.category(character)
        if (category == "Cc" and character not in _ALLOWED_CONTROLS) or category in ("Cf", "Cs"):
            name = unicodedata.name(character, f"U+{ord(character):04X}")
            return Finding(
                Code.FORBIDDEN_CHARACTER,
                f"invisible or control character {name} (U+{ord(character):04X}) is not allowed",
                Position.at_offset(sql, offset),
            )
    return None


_TOKEN_REPR = re.compile(r"<Token token_type: TokenType\.(\w+), text: (.*?), line: .*?>")


# "Required keyword: 'expression' missing for <class 'sqlglot.expressions.core.Mul'>"
_MISSING_PART = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*\.(\w+)'>")
_OPERATIONS = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Mod": "%", "DPipe": "||",
    "EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=",
    "And": "AND", "Or": "OR", "Like": "LIKE", "ILike": "ILIKE", "Is": "IS",
}  # fmt: skip


def _missing_part(match: re.Match[str]) -> str:
    """sqlglot names the expression class that lacks a part; say which operator or clause."""
    part, node = match.group(1), match.group(2)
    if node in _OPERATIONS:
        side = "right" if part == "expression" else "left"
        return f"the {side} side of {_OPERATIONS[node]} is missing"
    named = "value" if part in ("this", "expression", "expressions") else part.replace("_", " ")
    return f"{node.upper()} is missing its {named}"


def _readable(description: str) -> str:
    """sqlglot's message in the query's own terms: token dumps replaced by the token's text,
    expression classes by the operator or clause they stand for."""

    def token(match: re.Match[str]) -> str:
        return "the end of the query" if match.group(1) == "SENTINEL" else repr(match.group(2))

    return _MISSING_PART.sub(_missing_part, _TOKEN_REPR.sub(token, description))[:300]


def _parse_error(sql: str, error: Exception) -> Finding:
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        line, column = int(first.get("line") or 1), int(first.get("col") or 1)
        description = _readable(str(first.get("description") or "invalid syntax"))
        # sqlglot points at the end of the offending token; report where it starts.
        highlight = str(first.get("highlight") or "")
        column = max(1, column - len(highlight) + 1) if highlight else column
        return Finding(Code.PARSE_ERROR, description, Position(line, column))
    if isinstance(error, RecursionError):
        return Finding(Code.PARSE_ERROR, "the query is nested too deeply")
    message = str(error).split("\n")[0] or "the query could not be read"
    if message.startswith("Error tokenizing"):
        message = "unterminated string, quoted name or comment"
    return Finding(Code.PARSE_ERROR, message[:200])


def _second_statement_start(sql: str, first: exp.Expr) -> Position:
    """Where the statement after ``first`` begins: past the semicolon that ends ``first``."""
    ends = [
        child.meta["end"]
        for child in first.walk()
        if isinstance(child, exp.Expr) and "end" in child.meta
    ]
    semicolon = sql.find(";", max(ends, default=0))
    if semicolon < 0:
        return Position()
    offset = semicolon + 1
    while offset < len(sql) and sql[offset].isspace():
        offset += 1
    return Position.at_offset(sql, offset)


def parse_statement(sql: str, dialect: Dialect) -> Parsed:
    """Parse ``sql`` as exactly one statement in ``dialect``."""
    if not sql.strip():
        return Parsed(None, (Finding(Code.EMPTY, "the query is empty"),))
    bad_character = _forbidden_character(sql)
    if bad_character is not None:
        return Parsed(None, (bad_character,))
    try:
        trees = sqlglot.parse(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError) as error:
        return Parsed(None, (_parse_error(sql, error),))
    statements = [
        tree for tree in trees if tree is not None and not isinstance(tree, exp.Semicolon)
    ]
    if not statements:
        return Parsed(None, (Finding(Code.EMPTY, "the query has no statement"),))
    if len(statements) > 1:
        where = _second_statement_start(sql, statements[0])
        message = f"exactly one statement is allowed; found {len(statements)}"
        return Parsed(None, (Finding(Code.MULTIPLE_STATEMENTS, message, where),))
    return Parsed(statements[0], ())
