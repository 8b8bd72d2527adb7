"""The validator: syntax and safety first, then names against the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError

from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.findings import Code, Finding
from vantage.packs.assist.sql.parsing import Dialect, parse_statement
from vantage.packs.assist.sql.safety import safety_findings
from vantage.packs.assist.sql.semantics import (
    column_findings,
    cte_names,
    missing_limit,
    table_findings,
)


@dataclass(frozen=True)
class Validation:
    """The verdict on one query: its findings and, when it parsed, its tree."""

    sql: str
    dialect: Dialect
    findings: tuple[Finding, ...]
    tree: exp.Expr | None

    @property
    def valid(self) -> bool:
        return self.tree is not None and not any(finding.is_error for finding in self.findings)

    @property
    def tables(self) -> tuple[str, ...]:
        """The analytics views the query reads (sorted, lower case)."""
        if self.tree is None:
            return ()
        local = cte_names(self.tree)
        names = {table.name.lower() for table in self.tree.find_all(exp.Table) if table.name}
        return tuple(sorted(names - local))

    def executable_sql(self) -> str:
        """The query as the database will run it: re-generated from the validated tree.

        Running the tree rather than the text means comments and anything else the parser
        dropped cannot reach the database.
        """
        if not self.valid or self.tree is None:
            raise ValueError("only a valid query can be executed")
        return self.tree.sql(dialect=self.dialect, comments=False)

    def regenerates(self) -> bool:
        """Whether the tree can be written back as SQL (very deep trees cannot)."""
        try:
            self.executable_sql()
        except (RecursionError, SqlglotError, ValueError):
            return False
        return True


class SqlValidator:
    """Validates queries against one catalog of analytics views."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def syntax(self, sql: str, dialect: Dialect) -> Validation:
        """One statement that parses, is a query and contains nothing unsafe."""
        parsed = parse_statement(sql, dialect)
        if parsed.tree is None:
            return Validation(sql, dialect, parsed.findings, None)
        checked = Validation(sql, dialect, tuple(safety_findings(sql, parsed.tree)), parsed.tree)
        return _writable(checked)

    def semantics(self, sql: str, dialect: Dialect) -> Validation:
        """``syntax`` plus every table a view of the catalog and every column one of its own."""
        checked = self.syntax(sql, dialect)
        if checked.tree is None:
            return checked
        tree = checked.tree
        findings = [*checked.findings, *table_findings(sql, tree, self.catalog)]
        findings += column_findings(sql, tree, self.catalog)
        advice = missing_limit(tree)
        if advice is not None:
            findings.append(advice)
        return _writable(Validation(sql, dialect, tuple(findings), tree))


def _writable(validation: Validation) -> Validation:
    """``validation``, made invalid when its tree cannot be written back as SQL to run."""
    if not validation.valid or validation.regenerates():
        return validation
    finding = Finding(Code.PARSE_ERROR, "the query is nested too deeply")
    return Validation(
        validation.sql, validation.dialect, (*validation.findings, finding), validation.tree
    )
