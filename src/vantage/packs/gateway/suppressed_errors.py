"""Errors the gateway survives on purpose: each is logged with its traceback and counted.

A failure to close an upstream, to publish on the live feed or to settle a budget must not fail
the request or stop the usage writer, but it must not vanish either: operators see it in the
logs and in ``vantage_gateway_suppressed_errors_total{where=...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter

LOGGER_NAME = "vantage.gateway.errors"


class SuppressedErrors:
    """Logs and counts the exceptions the gateway does not let propagate."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._logger = structlog.get_logger(LOGGER_NAME)
        self._counter = Counter(
            "vantage_gateway_suppressed_errors",
            "Errors the gateway logged and carried on after, by where they happened",
            ["where"],
            registry=registry,
        )

    def record(
        self, where: str, event: str, *, level: int = logging.WARNING, **fields: Any
    ) -> None:
        """Log the exception being handled (with its traceback) and count it under ``where``."""
        self._counter.labels(where=where).inc()
        self._logger.log(level, event, where=where, exc_info=True, **fields)

    @contextmanager
    def suppressed(
        self, where: str, event: str, *, level: int = logging.WARNING, **fields: Any
    ) -> Iterator[None]:
        """Run the block; an ``Exception`` from it is recorded and goes no further."""
        try:
            yield
        except Exception:
            self.record(where, event, level=level, **fields)
