"""Assist pack benchmark: SQL validation against sqlglot's bare parse, and vector search at
10,000 and 100,000 items. Prints one JSON object.

Validation: every query of the test corpus (hostile and benign, both dialects) validated in
full (syntax, safety, tables and columns) and, separately, only parsed by sqlglot; per-query
p50 and p99 of each and their ratios. Search: unit vectors drawn around 500 centres (clustered
like real embeddings), 300 queries against each backend (the in-process numpy index: exact
scan below 20,000 items, clustered above; qdrant's embedded local mode) with p95 latency, and
recall@10 against exact search.

    python -m bench.assist

It runs with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` unless set): a matrix-vector product
this small gains nothing from threads, and on a busy machine their spinning makes it several
times slower.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads its BLAS

import numpy as np
import sqlglot
from tests.packs.assist.corpus import benign_queries, hostile_queries

from vantage.packs.assist.search.embedders import normalize
from vantage.packs.assist.search.index import QDRANT_LOCAL, ClusteredIndex, ExactIndex, make_index
from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.parsing import DIALECTS, Dialect
from vantage.packs.assist.sql.validator import SqlValidator

DIMENSION = 256
CENTRES = 500
QUERIES = 300
SEARCH_BACKENDS = (ClusteredIndex.backend, QDRANT_LOCAL)


def _timed_us(work: Callable[[str, Dialect], object], sql: str, dialect: Dialect) -> float:
    began = time.perf_counter()
    with contextlib.suppress(sqlglot.errors.SqlglotError):
        work(sql, dialect)  # a query sqlglot refuses still costs its parse
    return (time.perf_counter() - began) * 1e6


def _bare_parse(sql: str, dialect: Dialect) -> object:
    return sqlglot.parse(sql, read=dialect)


def validation() -> dict[str, float]:
    """Per-query latency of full validation and of sqlglot's parse over the corpus.

    The two alternate query by query, the first of each pair swapped every query, so both
    see the same machine.
    """
    validator = SqlValidator(Catalog())
    texts = [sql for _, sql in hostile_queries()] + list(benign_queries())
    corpus = [(sql, dialect) for sql in texts for dialect in DIALECTS]
    for sql, dialect in corpus[:200]:  # warm caches and imports
        _timed_us(validator.semantics, sql, dialect)
    full, parse = [], []
    for index, (sql, dialect) in enumerate(corpus):
        if index % 2:
            parse.append(_timed_us(_bare_parse, sql, dialect))
            full.append(_timed_us(validator.semantics, sql, dialect))
        else:
            full.append(_timed_us(validator.semantics, sql, dialect))
            parse.append(_timed_us(_bare_parse, sql, dialect))
    p50, p99 = np.percentile(full, [50, 99])
    parse_p50, parse_p99 = np.percentile(parse, [50, 99])
    return {
        "queries": len(corpus),
        "p50_us": round(float(p50), 1),
        "p99_us": round(float(p99), 1),
        "parse_p50_us": round(float(parse_p50), 1),
        "parse_p99_us": round(float(parse_p99), 1),
        "ratio_p50": round(float(p50 / parse_p50), 2),
        "ratio_p99": round(float(p99 / parse_p99), 2),
    }


def _vectors(count: int, generator: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    chosen = centres[generator.integers(0, len(centres), count)]
    return normalize((chosen + 0.35 * generator.normal(size=chosen.shape)).astype(np.float32))


def search(items: int, backend: str) -> dict[str, float | str]:
    """p95 latency and recall@10 of a ``backend`` index holding ``items`` vectors."""
    generator = np.random.default_rng(11)
    centres = generator.normal(size=(CENTRES, DIMENSION)).astype(np.float32)
    vectors = _vectors(items, generator, centres)
    index, exact = make_index(DIMENSION, backend), ExactIndex(DIMENSION)
    for start in range(0, items, 10_000):
        index.add(range(start, min(items, start + 10_000)), vectors[start : start + 10_000])
    exact.add(range(items), vectors)
    timings, recalls = [], []
    for query in _vectors(QUERIES, generator, centres):
        began = time.perf_counter()
        found = index.search(query, 10)
        timings.append((time.perf_counter() - began) * 1000)
        truth = {key for key, _ in exact.search(query, 10)}
        recalls.append(len(truth & {key for key, _ in found}) / 10)
    trained = isinstance(index, ClusteredIndex) and index.trained
    return {
        "index": "clustered" if trained else backend,
        "p95_ms": round(float(np.percentile(timings, 95)), 3),
        "recall_at_10": round(float(np.mean(recalls)), 4),
    }


def _search_sizes(backend: str) -> dict[str, object]:
    small, large = search(10_000, backend), search(100_000, backend)
    ratio = round(float(large["p95_ms"]) / float(small["p95_ms"]), 2)
    return {"10k": small, "100k": large, "ratio_p95_100k_to_10k": ratio}


def main() -> None:
    """Run both parts and print one JSON object."""
    result = {
        "bench": "assist",
        "validation": validation(),
        "search": {backend: _search_sizes(backend) for backend in SEARCH_BACKENDS},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
