"""Errors passed over on purpose are still seen: logged with their traceback and counted.

Some failures have nowhere better to go (closing a socket the peer already dropped, publishing
on a live feed, settling a budget after the answer left): the work goes on, but each one is
logged and counted in ``vantage_suppressed_errors_total{where=...}``, so a stream of them shows
up on a dashboard instead of vanishing. ``where`` is named ``<part>.<place>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter

DEFAULT_LOGGER_NAME = "vantage.suppressed"


class SuppressedErrors:
    """Passes over exceptions in a block, logging and counting each by where it happened."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.count = Counter(
            "vantage_suppressed_errors",
            "Exceptions logged and passed over where nothing better can be done, by place",
            ["where"],
            registry=registry,
        )

    def record(
        self,
        where: str,
        event: str = "error passed over",
        *,
        logger: Any = None,
        level: int = logging.WARNING,
        **fields: Any,
    ) -> None:
        """Log the exception being handled (with its traceback) and count it under ``where``."""
        self.count.labels(where).inc()
        # Looked up per call: a logger cached at import would keep an earlier logging setup.
        target = logger or structlog.get_logger(DEFAULT_LOGGER_NAME)
        log = getattr(target, logging.getLevelName(level).lower())
        log(event, where=where, exc_info=True, **fields)

    @contextmanager
    def passing_over(
        self,
        where: str,
        event: str = "error passed over",
        *,
        logger: Any = None,
        level: int = logging.WARNING,
        **fields: Any,
    ) -> Iterator[None]:
        """Run the block; an ``Exception`` from it is recorded and goes no further."""
        try:
            yield
        except Exception:
            self.record(where, event, logger=logger, level=level, **fields)


def unregistered() -> SuppressedErrors:
    """Errors counted on a registry of their own, for parts built outside an application."""
    return SuppressedErrors(CollectorRegistry())
