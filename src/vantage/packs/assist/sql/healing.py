"""Deterministic repairs of broken queries; a repair is offered only if the result validates.

Repairs, in order: read the query in another dialect and write it in the target one (backticks,
``TOP n``), drop a schema from a view's name, replace unknown tables and columns by their
nearest known names, complete GROUP BY with the selected non-aggregated expressions, add a
LIMIT. A query that breaks a safety rule is never repaired: healing can only ever produce a
query that the full validator accepts, so it cannot turn a read into a write.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.parsing import Dialect, parse_statement
from vantage.packs.assist.sql.safety import safety_findings
from vantage.packs.assist.sql.semantics import cte_names, nearest, unknown_columns
from vantage.packs.assist.sql.validator import SqlValidator, Validation

# Dialects AI assistants most often write in by mistake, tried in this order.
SOURCE_DIALECTS = ("mysql", "tsql", "bigquery", "snowflake", "duckdb", "postgres", "sqlite")


@dataclass(frozen=True)
class Repair:
    kind: str
    description: str


@dataclass(frozen=True)
class Healed:
    """A repaired query, the repairs that made it and its (valid) validation."""

    sql: str
    repairs: tuple[Repair, ...]
    validation: Validation


class Healer:
    """Repairs queries against one catalog, re-validating every result."""

    def __init__(self, validator: SqlValidator, catalog: Catalog, default_limit: int = 100) -> None:
        self.validator = validator
        self.catalog = catalog
        self.default_limit = default_limit

    def heal(self, sql: str, dialect: Dialect) -> Healed | None:
        """The repaired query, or None when nothing needed or could be repaired safely."""
        try:
            return self._heal(sql, dialect)
        except Exception:  # healing is advice: text sqlglot cannot handle gets none, no error
            return None

    def _heal(self, sql: str, dialect: Dialect) -> Healed | None:
        tree, repairs = self._tree_in(sql, dialect)
        if tree is None or safety_findings(sql, tree):
            return None
        repairs += self._fix_tables(tree)
        repairs += self._fix_columns(tree)
        repairs += self._complete_group_by(tree)
        repairs += self._add_limit(tree)
        if not repairs:
            return None
        repairs = list(dict.fromkeys(repairs))  # a column misspelt twice is one repair
        try:
            healed_sql = tree.sql(dialect=dialect)
        except SqlglotError:
            return None
        validation = self.validator.semantics(healed_sql, dialect)
        return Healed(healed_sql, tuple(repairs), validation) if validation.valid else None

    def _tree_in(self, sql: str, dialect: Dialect) -> tuple[exp.Expr | None, list[Repair]]:
        parsed = parse_statement(sql, dialect)
        if parsed.tree is not None:
            return parsed.tree, []
        for source in SOURCE_DIALECTS:
            if source == dialect:
                continue
            try:
                written = sqlglot.transpile(sql, read=source, write=dialect)
            except SqlglotError:
                continue
            if len(written) != 1:
                continue
            transpiled = parse_statement(written[0], dialect)
            if transpiled.tree is not None:
                repair = Repair("transpile", f"read as {source} and written as {dialect}")
                return transpiled.tree, [repair]
        return None, []

    def _fix_tables(self, tree: exp.Expr) -> list[Repair]:
        repairs: list[Repair] = []
        local = cte_names(tree)
        for table in list(tree.find_all(exp.Table)):
            if isinstance(table.this, exp.Func) or table.name.lower() in local:
                continue
            name = table.name
            if table.db or table.catalog:
                if name.lower() in self.catalog:
                    table.set("db", None)
                    table.set("catalog", None)
                    repairs.append(Repair("table", f"{name} is named without a schema"))
                continue
            if name.lower() in self.catalog:
                continue
            best = nearest(name, self.catalog)
            if best:
                table.set("this", exp.to_identifier(best[0]))
                repairs.append(Repair("table", f"{name} -> {best[0]}"))
        return repairs

    def _fix_columns(self, tree: exp.Expr) -> list[Repair]:
        repairs: list[Repair] = []
        for column, suggestions in unknown_columns(tree, self.catalog):
            if suggestions:
                repairs.append(Repair("column", f"{column.name} -> {suggestions[0]}"))
                column.set("this", exp.to_identifier(suggestions[0]))
        return repairs

    def _complete_group_by(self, tree: exp.Expr) -> list[Repair]:
        repairs: list[Repair] = []
        for select in list(tree.find_all(exp.Select)):
            missing = _ungrouped(select)
            if not missing:
                continue
            select.group_by(*[expression.copy() for expression in missing], copy=False)
            names = ", ".join(expression.sql() for expression in missing)
            repairs.append(Repair("group_by", f"GROUP BY completed with {names}"))
        return repairs

    def _add_limit(self, tree: exp.Expr) -> list[Repair]:
        if not isinstance(tree, exp.Select | exp.SetOperation) or tree.args.get("limit"):
            return []
        tree.set("limit", exp.Limit(expression=exp.Literal.number(self.default_limit)))
        return [Repair("limit", f"LIMIT {self.default_limit} added")]


def _is_aggregate(expression: exp.Expr) -> bool:
    return any(True for _ in expression.find_all(exp.AggFunc, exp.Window))


def _ungrouped(select: exp.Select) -> list[exp.Expr]:
    """Selected expressions that are neither aggregates nor grouped, in an aggregating query."""
    selected = [
        expression.this if isinstance(expression, exp.Alias) else expression
        for expression in select.expressions
    ]
    if not any(_is_aggregate(expression) for expression in selected):
        return []
    group = select.args.get("group")
    grouped = {expression.sql() for expression in (group.expressions if group else [])}
    return [
        expression
        for expression in selected
        if not _is_aggregate(expression)
        and not isinstance(expression, exp.Literal | exp.Star)
        and expression.find(exp.Column) is not None
        and expression.sql() not in grouped
    ]


def canonical(sql: str, dialect: Dialect) -> str:
    """``sql`` as one form for every way of writing the same statement: regenerated from its
    tree with identifiers lower-cased and comments dropped; text sqlglot cannot parse keeps
    its words, lower-cased and single-spaced."""
    tree = parse_statement(sql, dialect).tree
    if tree is not None:
        try:
            return tree.sql(dialect=dialect, normalize=True, comments=False)
        except SqlglotError:
            pass
    return " ".join(sql.lower().split())
