"""A fake Qdrant server on 127.0.0.1 speaking Qdrant's REST wire format, for qdrant-client.

It keeps collections of cosine vectors in memory and answers the calls Vantage makes: version,
collection exists / create, payload index, upsert, delete by filter, query by vector with a
filter. Filters support ``match`` on a payload key and ``has_id`` under ``must`` and
``must_not``; anything else is a 400, so an unexpected call shows. Searches are exact, ties
broken by id. It runs in its own thread, so blocking clients can call it from any thread.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import numpy as np

# The fake speaks the REST API of the client's own generation.
VERSION = importlib.metadata.version("qdrant-client")


@dataclass
class Collection:
    size: int
    points: dict[int, tuple[np.ndarray[Any, Any], dict[str, Any]]] = field(default_factory=dict)
    payload_indexes: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeQdrantState:
    api_key: str | None = None
    collections: dict[str, Collection] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Answer "does not exist" to existence checks: the window in which two processes race.
    hide_collections: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tenant_points(self, collection: str, tenant_id: int) -> set[int]:
        points = self.collections[collection].points
        tenant = str(tenant_id)  # stored as a keyword
        return {key for key, (_, payload) in points.items() if payload.get("tenant_id") == tenant}


class Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _unit(vector: list[float]) -> np.ndarray[Any, Any]:
    array = np.asarray(vector, dtype=np.float64)
    return array / max(float(np.linalg.norm(array)), 1e-12)


def _condition_holds(condition: dict[str, Any], key: int, payload: dict[str, Any]) -> bool:
    if condition.get("has_id") is not None:
        return key in set(condition["has_id"])
    if condition.get("key") is not None and condition.get("match") is not None:
        return bool(payload.get(condition["key"]) == condition["match"]["value"])
    raise Refused(HTTPStatus.BAD_REQUEST, f"unsupported condition {condition}")


def _matches(filter_: dict[str, Any] | None, key: int, payload: dict[str, Any]) -> bool:
    if not filter_:
        return True
    must = filter_.get("must") or []
    must_not = filter_.get("must_not") or []
    if filter_.get("should"):
        raise Refused(HTTPStatus.BAD_REQUEST, "should is not supported by the fake")
    return all(_condition_holds(c, key, payload) for c in must) and not any(
        _condition_holds(c, key, payload) for c in must_not
    )


def _done(operation: int = 0) -> dict[str, Any]:
    return {"operation_id": operation, "status": "completed"}


class _Api:
    """The routes, as (method, pattern) -> handler over the shared state."""

    def __init__(self, state: FakeQdrantState) -> None:
        self.state = state
        self.routes: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/", self.version),
            ("GET", r"/collections/(?P<name>[^/]+)/exists", self.exists),
            ("PUT", r"/collections/(?P<name>[^/]+)", self.create),
            ("PUT", r"/collections/(?P<name>[^/]+)/index", self.payload_index),
            ("PUT", r"/collections/(?P<name>[^/]+)/points", self.upsert),
            ("POST", r"/collections/(?P<name>[^/]+)/points/delete", self.delete),
            ("POST", r"/collections/(?P<name>[^/]+)/points/query", self.query),
        ]

    def handle(self, method: str, path: str, body: dict[str, Any]) -> Any:
        for route_method, pattern, handler in self.routes:
            found = re.fullmatch(pattern, path)
            if route_method == method and found:
                with self.state.lock:
                    return handler(body, **found.groupdict())
        raise Refused(HTTPStatus.NOT_FOUND, f"no route {method} {path}")

    def _collection(self, name: str) -> Collection:
        if name not in self.state.collections:
            raise Refused(HTTPStatus.NOT_FOUND, f"Collection `{name}` doesn't exist!")
        return self.state.collections[name]

    def version(self, body: dict[str, Any]) -> Any:
        return {"title": "qdrant - vector search engine", "version": VERSION}

    def exists(self, body: dict[str, Any], name: str) -> Any:
        visible = name in self.state.collections and not self.state.hide_collections
        return {"exists": visible}

    def create(self, body: dict[str, Any], name: str) -> Any:
        if name in self.state.collections:
            raise Refused(HTTPStatus.CONFLICT, f"Wrong input: Collection `{name}` already exists!")
        vectors = body["vectors"]
        if vectors.get("distance") != "Cosine":
            raise Refused(HTTPStatus.BAD_REQUEST, "the fake knows cosine distance only")
        self.state.collections[name] = Collection(size=int(vectors["size"]))
        return True

    def payload_index(self, body: dict[str, Any], name: str) -> Any:
        self._collection(name).payload_indexes[body["field_name"]] = body.get("field_schema")
        return _done()

    def upsert(self, body: dict[str, Any], name: str) -> Any:
        collection = self._collection(name)
        for point in body["points"]:
            if len(point["vector"]) != collection.size:
                raise Refused(
                    HTTPStatus.BAD_REQUEST,
                    f"Wrong input: Vector dimension error: expected dim: {collection.size}, "
                    f"got {len(point['vector'])}",
                )
            collection.points[int(point["id"])] = (
                _unit(point["vector"]),
                point.get("payload") or {},
            )
        return _done()

    def delete(self, body: dict[str, Any], name: str) -> Any:
        collection = self._collection(name)
        doomed = [
            key
            for key, (_, payload) in collection.points.items()
            if _matches(body["filter"], key, payload)
        ]
        for key in doomed:
            del collection.points[key]
        return _done()

    def query(self, body: dict[str, Any], name: str) -> Any:
        collection = self._collection(name)
        query = body["query"]
        vector = _unit(query["nearest"] if isinstance(query, dict) else query)
        scored = sorted(
            (
                (-float(stored @ vector), key)
                for key, (stored, payload) in collection.points.items()
                if _matches(body.get("filter"), key, payload)
            )
        )[: int(body.get("limit") or 10)]
        return {
            "points": [{"id": key, "version": 0, "score": -negative} for negative, key in scored]
        }


def _handler_for(api: _Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path = urlsplit(self.path).path.rstrip("/") or "/"
            api.state.requests.append((self.command, path))
            length = int(self.headers.get("content-length") or 0)
            try:
                if api.state.api_key and self.headers.get("api-key") != api.state.api_key:
                    raise Refused(HTTPStatus.UNAUTHORIZED, "Must provide an API key")
                body = json.loads(self.rfile.read(length)) if length else {}
                status, answer = HTTPStatus.OK, {"result": api.handle(self.command, path, body)}
            except Refused as refused:
                status, answer = refused.status, {"status": {"error": str(refused)}}
            answer |= {"time": 0.0} | ({} if "status" in answer else {"status": "ok"})
            encoded = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        do_GET = do_PUT = do_POST = _serve  # noqa: N815 (the names http.server calls)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read ``state.requests`` instead

    return Handler


@dataclass
class FakeQdrant:
    url: str
    state: FakeQdrantState
    server: ThreadingHTTPServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def fake_qdrant(api_key: str | None = None) -> Iterator[FakeQdrant]:
    """A running fake Qdrant server; its ``state`` shows what was stored and asked."""
    state = FakeQdrantState(api_key=api_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(_Api(state)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake = FakeQdrant(f"http://127.0.0.1:{server.server_address[1]}", state, server)
    try:
        yield fake
    finally:
        fake.stop()
        thread.join(timeout=5)
