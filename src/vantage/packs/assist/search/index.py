"""Vector indexes over unit vectors: exact and clustered (inverted file) in process, and the
backends' names (qdrant's indexes are in search/qdrant.py, pgvector's in search/pgvector.py).

Scores are cosine similarities (dot products of unit vectors). The clustered index trains
k-means centroids (about sqrt(n) of them) once it holds ``train_at`` vectors and then scans
only the lists nearest to the query (``probes``, or ``probe_share`` of them when that is
more); below that size it scans everything.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from vantage.packs.assist.search.embedders import Vectors

Hit = tuple[int, float]
# Named here, not imported: importing qdrant-client takes seconds.
QDRANT_LOCAL = "qdrant-local"
QDRANT_SERVER = "qdrant-server"
PGVECTOR = "pgvector"
# What /health/ml's index_state says of a backend whose vectors every process shares.
SHARED_STATES = {QDRANT_SERVER: "server", PGVECTOR: "database"}
KMEANS_ROUNDS = 8
KMEANS_SAMPLE = 20_000


class VectorIndex(Protocol):
    backend: str
    dimension: int

    def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store ``vectors`` under ``keys`` (one row each)."""
        ...

    def search(self, query: Vectors, k: int) -> list[Hit]:
        """The ``k`` most similar keys, best first."""
        ...

    def __len__(self) -> int: ...


@runtime_checkable
class SharedIndex(Protocol):
    """An index in a store that every process shares (a Qdrant server, PostgreSQL): changed
    in place, never rebuilt. Its methods either block on the network (callers on an event loop
    run them in a thread) or are coroutines."""

    backend: str
    dimension: int
    # What /health/ml's index_state says of it.
    state: str

    def add(self, keys: Sequence[int], vectors: Vectors) -> Any:
        """Store (or replace) ``vectors`` under ``keys``."""
        ...

    def search(self, query: Vectors, k: int) -> Any:
        """The ``k`` most similar keys, best first."""
        ...

    def retain(self, keys: Sequence[int]) -> Any:
        """Drop every key not in ``keys``."""
        ...

    def __len__(self) -> int: ...


def _top(keys: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], k: int) -> list[Hit]:
    if len(scores) == 0:
        return []
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(keys[i]), float(scores[i])) for i in best]


class ExactIndex:
    """Scans every vector: exact, and fast enough for tens of thousands of items."""

    backend = "numpy-exact"

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._keys = np.zeros(0, dtype=np.int64)
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._lock = threading.Lock()

    def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store ``vectors`` under ``keys``."""
        with self._lock:
            self._keys = np.concatenate([self._keys, np.asarray(keys, dtype=np.int64)])
            self._vectors = np.vstack([self._vectors, vectors.astype(np.float32)])

    def search(self, query: Vectors, k: int) -> list[Hit]:
        """The ``k`` nearest keys by cosine similarity."""
        keys, vectors = self._keys, self._vectors
        return _top(keys, vectors @ query.astype(np.float32), k)

    def __len__(self) -> int:
        return len(self._keys)


class ClusteredIndex:
    """An inverted-file index: exact below ``train_at`` vectors, clustered above."""

    backend = "numpy-ivf"

    def __init__(
        self, dimension: int, train_at: int = 20_000, probes: int = 12, probe_share: float = 0.3
    ) -> None:
        self.dimension = dimension
        self.train_at = train_at
        # Diffuse texts (work items) spread their neighbours over more clusters than
        # question-and-SQL pairs: probing a share of the lists keeps recall@10 at 0.95.
        self.probes = probes
        self.probe_share = probe_share
        self._exact = ExactIndex(dimension)
        self._centroids: Vectors | None = None
        self._lists: list[tuple[npt.NDArray[np.int64], Vectors]] = []

    @property
    def trained(self) -> bool:
        return self._centroids is not None

    def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store ``vectors``; the first time the index reaches ``train_at``, cluster it."""
        if self._centroids is None:
            self._exact.add(keys, vectors)
            if len(self._exact) >= self.train_at:
                self._train()
            return
        self._assign(np.asarray(keys, dtype=np.int64), vectors.astype(np.float32))

    def _train(self) -> None:
        keys, vectors = self._exact._keys, self._exact._vectors
        count = max(1, int(math.sqrt(len(keys))))
        generator = np.random.default_rng(0)  # same clusters for the same data
        sample = vectors[generator.choice(len(vectors), min(len(vectors), KMEANS_SAMPLE), False)]
        centroids = sample[generator.choice(len(sample), count, replace=False)].copy()
        for _ in range(KMEANS_ROUNDS):
            nearest = np.argmax(sample @ centroids.T, axis=1)
            for cluster in range(count):
                members = sample[nearest == cluster]
                if len(members):
                    centre = members.sum(axis=0)
                    centroids[cluster] = centre / max(float(np.linalg.norm(centre)), 1e-12)
        self._centroids = centroids.astype(np.float32)
        self._lists = [
            (np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32))
            for _ in range(count)
        ]
        self._assign(keys, vectors)
        self._exact = ExactIndex(self.dimension)

    def _assign(self, keys: npt.NDArray[np.int64], vectors: Vectors) -> None:
        assert self._centroids is not None
        nearest = np.argmax(vectors @ self._centroids.T, axis=1)
        for cluster in np.unique(nearest):
            chosen = nearest == cluster
            old_keys, old_vectors = self._lists[cluster]
            self._lists[cluster] = (
                np.concatenate([old_keys, keys[chosen]]),
                np.vstack([old_vectors, vectors[chosen]]),
            )

    def search(self, query: Vectors, k: int) -> list[Hit]:
        """The ``k`` nearest keys among the ``probes`` clusters nearest to ``query``."""
        if self._centroids is None:
            return self._exact.search(query, k)
        probes = max(self.probes, math.ceil(self.probe_share * len(self._centroids)))
        ranked = np.argsort(-(self._centroids @ query))[:probes]
        keys = np.concatenate([self._lists[c][0] for c in ranked])
        vectors = np.vstack([self._lists[c][1] for c in ranked])
        return _top(keys, vectors @ query.astype(np.float32), k)

    def __len__(self) -> int:
        if self._centroids is None:
            return len(self._exact)
        return sum(len(keys) for keys, _ in self._lists)


def resolve_backend(kind: str, server_url: str | None = None, pgvector: bool = False) -> str:
    """The backend ``kind`` means here. ``auto``: a Qdrant server when its URL is set, else
    pgvector when the database has the extension, else qdrant's local mode (qdrant-client is
    a base dependency; on a trimmed install without it, the numpy index). ``qdrant``: the
    server or the local mode. ``pgvector`` and ``numpy``: just that."""
    if kind == "numpy":
        return ClusteredIndex.backend
    if kind == "pgvector" or (kind == "auto" and pgvector and not server_url):
        if not pgvector:
            raise RuntimeError(
                "the pgvector backend needs PostgreSQL with the extension: CREATE EXTENSION vector"
            )
        return PGVECTOR
    # Asked without importing it: the import takes seconds, and the first index pays it.
    if importlib.util.find_spec("qdrant_client") is None:
        if kind == "qdrant" or server_url:
            raise RuntimeError("the qdrant backend needs qdrant-client: pip install qdrant-client")
        return ClusteredIndex.backend
    return QDRANT_SERVER if server_url else QDRANT_LOCAL


def load_index_backend(backend: str) -> None:
    """Import what ``make_index`` needs for ``backend``. Importing qdrant-client takes seconds:
    called in a worker thread, so that the event loop never waits for it."""
    if backend == QDRANT_LOCAL:
        import qdrant_client  # noqa: F401

        from vantage.packs.assist.search import qdrant  # noqa: F401


def make_index(dimension: int, backend: str) -> VectorIndex:
    """An empty in-process index of a backend named by ``resolve_backend`` (a server's
    indexes come from its ``QdrantCollections``)."""
    if backend == QDRANT_LOCAL:
        from qdrant_client import QdrantClient

        from vantage.packs.assist.search.qdrant import QdrantIndex

        return QdrantIndex(dimension, QdrantClient(":memory:"))
    return ClusteredIndex(dimension)
