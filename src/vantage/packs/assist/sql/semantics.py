"""Names against the catalog: every table is an analytics view, every column exists.

sqlglot's own qualifier checks columns only, stops at the first problem and does not say
where; this reports every unknown table and column with its position and the nearest names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.findings import Code, Finding, Severity
from vantage.packs.assist.sql.parsing import position_of

SUGGESTIONS = 3
SIMILARITY_CUTOFF = 0.6


def nearest(name: str, candidates: Iterable[str]) -> tuple[str, ...]:
    """Up to three candidates closest to ``name`` (difflib's ratio, at least 0.6)."""
    return tuple(
        difflib.get_close_matches(
            name.lower(), sorted(set(candidates)), SUGGESTIONS, SIMILARITY_CUTOFF
        )
    )


def cte_names(tree: exp.Expr) -> set[str]:
    """The names the query's WITH clauses define (any depth)."""
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _did_you_mean(message: str, suggestions: tuple[str, ...]) -> str:
    return f"{message}; did you mean {', '.join(suggestions)}?" if suggestions else message


def table_findings(sql: str, tree: exp.Expr, catalog: Catalog) -> Iterator[Finding]:
    """Tables outside the catalog, schema-qualified tables and their nearest views."""
    local = cte_names(tree)
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            continue  # table functions are the safety rules' business
        name = table.name
        qualifier = ".".join(part for part in (table.catalog, table.db) if part)
        if qualifier:
            yield Finding(
                Code.QUALIFIED_TABLE,
                f"name tables without a schema: {qualifier}.{name} is not an analytics view",
                position_of(sql, table),
                subject=f"{qualifier}.{name}",
                suggestions=nearest(name, catalog),
            )
            continue
        if name.lower() in local or name.lower() in catalog:
            continue
        suggestions = nearest(name, catalog)
        yield Finding(
            Code.UNKNOWN_TABLE,
            _did_you_mean(f"unknown table {name}", suggestions),
            position_of(sql, table),
            subject=name,
            suggestions=suggestions,
        )


def _source_columns(source: object, catalog: Catalog) -> set[str] | None:
    """A FROM source's column names; None when they cannot be known (all names accepted)."""
    if isinstance(source, exp.Table):
        if isinstance(source.this, exp.Func):
            return None
        known = catalog.columns_of(source.name)
        return None if known is None else set(known)
    if isinstance(source, Scope):
        alias_columns = _alias_column_names(source.expression)
        if alias_columns:
            return {name.lower() for name in alias_columns}
        expression = source.expression
        selects = expression.named_selects if isinstance(expression, exp.Query) else []
        if not selects or "*" in selects or any(select == "" for select in selects):
            return None
        return {name.lower() for name in selects}
    return None


def _alias_column_names(node: exp.Expr) -> list[str]:
    """Column names given with the alias: ``WITH n(i) AS ...``, ``(...) AS t(a, b)``."""
    parent = node.parent
    while isinstance(parent, exp.SetOperation):  # a recursive CTE's reference to itself
        parent = parent.parent
    alias = parent.args.get("alias") if isinstance(parent, exp.CTE | exp.Subquery) else None
    if isinstance(alias, exp.TableAlias):
        return [column.name for column in alias.columns]
    return []


def _visible_sources(scope: Scope, catalog: Catalog) -> dict[str, set[str] | None]:
    visible: dict[str, set[str] | None] = {}
    current: Scope | None = scope
    while current is not None:  # correlated subqueries see their outer queries' sources
        for alias, source in current.sources.items():
            visible.setdefault(alias.lower(), _source_columns(source, catalog))
        current = current.parent
    return visible


def _column_finding(sql: str, column: exp.Column, suggestions: tuple[str, ...]) -> Finding:
    label = f"{column.table}.{column.name}" if column.table else column.name
    return Finding(
        Code.UNKNOWN_COLUMN,
        _did_you_mean(f"unknown column {label}", suggestions),
        position_of(sql, column),
        subject=label,
        suggestions=suggestions,
    )


def _scope_unknown_columns(
    scope: Scope, catalog: Catalog
) -> Iterator[tuple[exp.Column, tuple[str, ...]]]:
    visible = _visible_sources(scope, catalog)
    local = [visible.get(alias.lower()) for alias in scope.sources]
    # ORDER BY, GROUP BY and HAVING may name the select list's aliases.
    selects = scope.expression.expressions if isinstance(scope.expression, exp.Select) else []
    aliases = {select.alias.lower() for select in selects if isinstance(select, exp.Alias)}
    for column in scope.columns:
        name, table = column.name.lower(), column.table.lower()
        if table:
            if table not in visible or visible[table] is None:
                continue  # an unknown table is reported once, as a table
            columns = visible[table] or set()
            if name not in columns:
                yield column, nearest(name, columns)
            continue
        if any(columns is None for columns in local) or name in aliases:
            continue
        known = set().union(*(columns for columns in local if columns is not None))
        if name not in known:
            yield column, nearest(name, known)


def unknown_columns(tree: exp.Expr, catalog: Catalog) -> list[tuple[exp.Column, tuple[str, ...]]]:
    """Every column no source of its scope has, with the nearest names that source has."""
    try:
        scopes = traverse_scope(tree)
    except Exception:  # an unresolvable shape only loses the column advice, never safety
        return []
    return [found for scope in scopes for found in _scope_unknown_columns(scope, catalog)]


def column_findings(sql: str, tree: exp.Expr, catalog: Catalog) -> list[Finding]:
    """Unknown columns of every scope (sub-queries, CTEs, unions) with the nearest names."""
    return [
        _column_finding(sql, column, suggestions)
        for column, suggestions in unknown_columns(tree, catalog)
    ]


def missing_limit(tree: exp.Expr) -> Finding | None:
    """A warning when the outermost query has no LIMIT (the row cap still applies)."""
    if isinstance(tree, exp.Query) and tree.args.get("limit") is None:
        return Finding(
            Code.MISSING_LIMIT,
            "the query has no LIMIT; only the first rows up to the row cap are returned",
            severity=Severity.WARNING,
        )
    return None
