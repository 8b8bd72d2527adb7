"""Vector indexes in qdrant: its embedded local mode, or a Qdrant server by URL.

Local mode keeps one in-memory collection per tenant and kind inside the process. A server
keeps one collection per kind and embedding model for every tenant and process, the layout
Qdrant advises for many tenants: each point carries its tenant in the payload (indexed as the
tenant key), every search filters on it, and a point's id is the item's own row id, which is
unique across tenants. Processes share the server's points, so an item changed or removed is
upserted or deleted in place instead of rebuilding the index.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vantage.core.errors import Unavailable
from vantage.packs.assist.search.embedders import Vectors
from vantage.packs.assist.search.index import QDRANT_LOCAL, QDRANT_SERVER, SHARED_STATES, Hit

TENANT_KEY = "tenant_id"
UPSERT_BATCH = 512


class QdrantIndex:
    """qdrant-client's embedded local mode (in memory), the default backend."""

    backend = QDRANT_LOCAL
    COLLECTION = "items"

    def __init__(self, dimension: int, client: Any) -> None:
        from qdrant_client import models

        self.dimension = dimension
        self._client = client
        self._models = models
        self._count = 0
        client.create_collection(
            self.COLLECTION,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
        )

    def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store ``vectors`` under ``keys``."""
        points = [
            self._models.PointStruct(id=int(key), vector=vector.tolist())
            for key, vector in zip(keys, vectors, strict=True)
        ]
        self._client.upsert(self.COLLECTION, points=points)
        self._count += len(points)

    def search(self, query: Vectors, k: int) -> list[Hit]:
        """The ``k`` nearest keys by cosine similarity."""
        found = self._client.query_points(self.COLLECTION, query=query.tolist(), limit=k)
        return [(int(point.id), float(point.score)) for point in found.points]

    def __len__(self) -> int:
        return self._count


@dataclass(frozen=True)
class QdrantServer:
    """Where the server is and how this deployment names its collections there."""

    url: str
    api_key: str | None = None
    collection_prefix: str = "vantage"
    timeout_s: int = 10

    def collection(self, kind: str, model: str, dimension: int) -> str:
        """One collection per kind and model: vectors of two models never share one."""
        slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
        return f"{self.collection_prefix}_{kind}_{slug}_{dimension}"


class QdrantCollections:
    """One client of a Qdrant server, and the collections this process made sure exist."""

    def __init__(self, server: QdrantServer, dimension: int, model: str) -> None:
        from qdrant_client import QdrantClient, models

        self.server = server
        self.dimension = dimension
        self.model = model
        self.models = models
        self.client = QdrantClient(url=server.url, api_key=server.api_key, timeout=server.timeout_s)
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    def index(self, tenant_id: int, kind: str) -> QdrantServerIndex:
        """The tenant's view of the kind's collection."""
        name = self.server.collection(kind, self.model, self.dimension)
        return QdrantServerIndex(self, name, tenant_id)

    def ensure(self, name: str) -> None:
        """Create the collection and its tenant index unless this process saw them already;
        another process creating it at the same moment is not an error."""
        if name in self._ready:
            return
        with self._lock:
            if name in self._ready:
                return
            if not self.client.collection_exists(name):
                self._create(name)
            self._ready.add(name)

    def _create(self, name: str) -> None:
        from qdrant_client.http.exceptions import UnexpectedResponse

        models = self.models
        try:
            self.client.create_collection(
                name,
                vectors_config=models.VectorParams(
                    size=self.dimension, distance=models.Distance.COSINE
                ),
            )
        except UnexpectedResponse as error:
            if error.status_code != 409:  # 409: created by another process meanwhile
                raise
        self.client.create_payload_index(
            name,
            TENANT_KEY,
            field_schema=models.KeywordIndexParams(
                type=models.KeywordIndexType.KEYWORD, is_tenant=True
            ),
        )

    def close(self) -> None:
        self.client.close()


class QdrantServerIndex:
    """One tenant's points of one collection on a Qdrant server.

    Every call is a blocking request: callers on an event loop run them in a thread.
    """

    backend = QDRANT_SERVER
    state = SHARED_STATES[QDRANT_SERVER]

    def __init__(self, collections: QdrantCollections, name: str, tenant_id: int) -> None:
        self.dimension = collections.dimension
        self._collections = collections
        self._name = name
        # A keyword: Qdrant's tenant index is for keyword (and uuid) fields.
        self._tenant = str(tenant_id)
        self._keys: set[int] = set()

    @property
    def _client(self) -> Any:
        self._collections.ensure(self._name)
        return self._collections.client

    def _answer(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call the client; a server that is down or refuses is a 503, not a crash."""
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            return getattr(self._client, method)(self._name, *args, **kwargs)
        except (ResponseHandlingException, UnexpectedResponse) as error:
            raise Unavailable(f"the vector index server did not answer: {error}") from error

    def _tenant_filter(self, excluding: Iterable[int] | None = None) -> Any:
        models = self._collections.models
        match = models.MatchValue(value=self._tenant)
        tenant = models.FieldCondition(key=TENANT_KEY, match=match)
        others = [models.HasIdCondition(has_id=list(excluding))] if excluding is not None else None
        return models.Filter(must=[tenant], must_not=others)

    def add(self, keys: Sequence[int], vectors: Vectors) -> None:
        """Store (or replace) ``vectors`` under ``keys`` for the tenant."""
        models = self._collections.models
        payload = {TENANT_KEY: self._tenant}
        for start in range(0, len(keys), UPSERT_BATCH):
            points = [
                models.PointStruct(id=int(key), vector=vector.tolist(), payload=payload)
                for key, vector in zip(
                    keys[start : start + UPSERT_BATCH],
                    vectors[start : start + UPSERT_BATCH],
                    strict=True,
                )
            ]
            self._answer("upsert", points=points, wait=True)
        self._keys.update(int(key) for key in keys)

    def retain(self, keys: Sequence[int]) -> None:
        """Delete the tenant's points whose keys are not in ``keys`` (whoever stored them)."""
        models = self._collections.models
        selector = models.FilterSelector(filter=self._tenant_filter(excluding=keys))
        self._answer("delete", points_selector=selector, wait=True)
        self._keys = {int(key) for key in keys} & self._keys

    def search(self, query: Vectors, k: int) -> list[Hit]:
        """The tenant's ``k`` nearest keys by cosine similarity."""
        found = self._answer(
            "query_points", query=query.tolist(), query_filter=self._tenant_filter(), limit=k
        )
        return [(int(point.id), float(point.score)) for point in found.points]

    def __len__(self) -> int:
        """The points this process stored or kept for the tenant."""
        return len(self._keys)
