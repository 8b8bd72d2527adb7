"""Structured logging, request ids and Prometheus metrics."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantage.core.errors import problem_response

if TYPE_CHECKING:
    from vantage.config import Settings
    from vantage.core.db import Database

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

logger = structlog.get_logger("vantage.http")
_stdlib_logger = logging.getLogger("vantage.http")


def configure_logging(settings: Settings) -> None:
    """Route stdlib and structlog records through one renderer (console or JSON lines)."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        # Filtering first: an event below the level costs no processing (one per request).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Each request is logged once, by the request middleware, with its request id.
    logging.getLogger("uvicorn.access").disabled = True


class DatabasePoolCollector(Collector):
    """Reads connection pool gauges at scrape time, so they are never stale."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def collect(self) -> Iterable[Metric]:
        families = {
            "size": GaugeMetricFamily("vantage_db_pool_size", "Pool size", labels=["engine"]),
            "checked_out": GaugeMetricFamily(
                "vantage_db_pool_checked_out", "Connections in use", labels=["engine"]
            ),
            "overflow": GaugeMetricFamily(
                "vantage_db_pool_overflow", "Connections over the pool size", labels=["engine"]
            ),
        }
        for engine_name, stats in self._database.pool_stats().items():
            for key, family in families.items():
                family.add_metric([engine_name], stats.get(key, 0))
        yield from families.values()


class HttpMetrics:
    """The HTTP metrics of one application, on a registry of its own."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "vantage_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "vantage_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "vantage_http_requests_in_progress",
            "HTTP requests being served",
            registry=registry,
            multiprocess_mode="livesum",
        )
        # ``labels()`` validates and hashes its arguments on every call; the set of
        # (method, route, status) is small, so each request reuses its children.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = str(value.decode("latin-1"))
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return os.urandom(16).hex()


def route_path(scope: Scope) -> str | None:
    """The full path template of the route serving the request, None before routing.

    The route object knows only its own router's prefix; FastAPI keeps the route as seen
    through every enclosing router (all prefixes applied) in its part of the scope.
    """
    seen = scope.get("fastapi", {}).get("effective_route_context")
    return getattr(seen, "path", None) or getattr(scope.get("route"), "path", None)


def _route_template(scope: Scope) -> str:
    path = route_path(scope)
    if path is None and "endpoint" in scope:
        # Plain Starlette routes (docs, OpenAPI) record only their endpoint.
        app = scope.get("app")
        routes = getattr(app, "routes", ())
        route = next((r for r in routes if getattr(r, "endpoint", None) is scope["endpoint"]), None)
        path = getattr(route, "path", None)
    return path or UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Gives each request an id, logs and measures it, and turns any escape into a 500 problem."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            return
        await self._serve_http(scope, receive, send, request_id)

    async def _serve_http(
        self, scope: Scope, receive: Receive, send: Send, request_id: str
    ) -> None:
        status = 500
        started = False
        header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(name == header[0] for name, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        begin = time.perf_counter()
        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", path=scope.get("path"))
            if started:
                raise
            status = 500
            response = problem_response(
                Request(scope), status=500, code="INTERNAL", detail="An unexpected error occurred."
            )
            await response(scope, receive, send)
        finally:
            elapsed = time.perf_counter() - begin
            self.metrics.in_progress.dec()
            self._record(scope, status, elapsed)
            structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route_template(scope)
        method = scope.get("method", "GET")
        self.metrics.observe(method, route, status, elapsed)
        if not _stdlib_logger.isEnabledFor(logging.INFO):
            return  # skip building an event the level would drop
        logger.info(
            "request",
            method=method,
            path=scope.get("path"),
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )
