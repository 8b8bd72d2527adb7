"""Safety rules over a parsed tree: a read-only query and nothing else, anywhere in it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from vantage.packs.assist.sql.findings import Code, Finding
from vantage.packs.assist.sql.parsing import position_of
from vantage.packs.assist.sql.policy import (
    ALLOWED_TABLE_FUNCTIONS,
    FORBIDDEN_NODES,
    is_denied_function,
)

QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)


def function_name(node: exp.Func) -> str:
    """The name a function is called by (unqualified, quotes removed, lower case)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _statement_finding(sql: str, node: exp.Expr) -> Finding:
    where = position_of(sql, node)
    if isinstance(node, exp.Into):
        return Finding(Code.SELECT_INTO, "SELECT ... INTO creates a table", where)
    if isinstance(node, exp.Lock):
        return Finding(Code.LOCKING_CLAUSE, "FOR UPDATE / FOR SHARE takes row locks", where)
    kind = type(node).__name__.upper()
    if isinstance(node, exp.Command):
        kind = str(node.this).upper()
    if node.find_ancestor(exp.CTE) is not None:
        return Finding(Code.DATA_MODIFYING_CTE, f"{kind} inside a WITH clause", where, subject=kind)
    return Finding(Code.FORBIDDEN_STATEMENT, f"{kind} is not allowed", where, subject=kind)


def _function_findings(sql: str, tree: exp.Expr) -> Iterator[Finding]:
    for node in tree.find_all(exp.Func):
        name = function_name(node)
        if is_denied_function(name):
            yield Finding(
                Code.FORBIDDEN_FUNCTION,
                f"function {name}() is not allowed",
                position_of(sql, node),
                subject=name,
            )


def _table_function_findings(sql: str, tree: exp.Expr) -> Iterator[Finding]:
    for table in tree.find_all(exp.Table):
        function = table.this
        if not isinstance(function, exp.Func):
            continue
        name = function_name(function)
        if name not in ALLOWED_TABLE_FUNCTIONS and not is_denied_function(name):
            yield Finding(
                Code.FORBIDDEN_FUNCTION,
                f"reading from function {name}() is not allowed",
                position_of(sql, table),
                subject=name,
            )


def safety_findings(sql: str, tree: exp.Expr) -> list[Finding]:
    """Everything in ``tree`` that could write, lock, wait, reach outside or is not a query."""
    findings: list[Finding] = []
    if isinstance(tree, exp.Command) or not isinstance(tree, QUERY_ROOTS):
        kind = str(tree.this).upper() if isinstance(tree, exp.Command) else type(tree).__name__
        findings.append(
            Finding(Code.NOT_A_QUERY, f"only queries may run; this is {kind}", subject=kind)
        )
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            findings.append(_statement_finding(sql, node))
    findings.extend(_function_findings(sql, tree))
    findings.extend(_table_function_findings(sql, tree))
    return findings
