"""The validator against the hostile corpus (no false negative) and benign queries (<= 1 %)."""

from __future__ import annotations

import pytest

from tests.packs.assist.corpus import benign_queries, hostile_classes, hostile_queries
from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.parsing import DIALECTS, Dialect
from vantage.packs.assist.sql.validator import SqlValidator

VALIDATOR = SqlValidator(Catalog())


def test_the_hostile_corpus_is_broad() -> None:
    classes = hostile_classes()
    assert len(classes) >= 12
    assert len(hostile_queries()) >= 200
    assert all(len(queries) >= 5 for queries in classes.values())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_hostile_query_is_refused(dialect: Dialect) -> None:
    accepted = [
        (kind, sql) for kind, sql in hostile_queries() if VALIDATOR.semantics(sql, dialect).valid
    ]
    assert accepted == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_refusal_has_a_code_and_a_position(dialect: Dialect) -> None:
    for _, sql in hostile_queries():
        errors = [f for f in VALIDATOR.semantics(sql, dialect).findings if f.is_error]
        assert errors, sql
        for finding in errors:
            assert finding.code.value.startswith("SQL_")
            assert finding.position.line >= 1 and finding.position.column >= 1


@pytest.mark.parametrize("dialect", DIALECTS)
def test_benign_queries_pass_with_at_most_one_percent_refused(dialect: Dialect) -> None:
    queries = benign_queries()
    assert len(queries) >= 500
    refused = [sql for sql in queries if not VALIDATOR.semantics(sql, dialect).valid]
    assert len(refused) <= len(queries) // 100, refused[:5]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_valid_queries_regenerate_to_valid_queries(dialect: Dialect) -> None:
    for sql in benign_queries()[:100]:
        validation = VALIDATOR.semantics(sql, dialect)
        if not validation.valid:
            continue  # counted by the false-positive test
        regenerated = validation.executable_sql()
        assert VALIDATOR.semantics(regenerated, dialect).valid, regenerated
