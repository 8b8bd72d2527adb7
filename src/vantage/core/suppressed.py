"""Errors passed over on purpose are still seen: logged with their traceback and counted.

Some failures have nowhere better to go (closing a socket the peer already dropped, closing a
pub/sub connection whose server is gone): the work goes on, but each one is logged and counted
in ``vantage_suppressed_errors_total{where=...}``, so a stream of them shows up on a dashboard
instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter


class SuppressedErrors:
    """Passes over exceptions in a block, logging and counting each by where it happened."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.count = Counter(
            "vantage_suppressed_errors",
            "Exceptions logged and passed over where nothing better can be done, by place",
            ["where"],
            registry=registry,
        )

    @contextmanager
    def passing_over(self, where: str, logger: Any) -> Iterator[None]:
        """Run the block; an ``Exception`` from it is logged (with traceback) and counted."""
        try:
            yield
        except Exception:
            self.count.labels(where).inc()
            logger.warning("error passed over", where=where, exc_info=True)


def unregistered() -> SuppressedErrors:
    """Errors counted on a registry of their own, for parts built outside an application."""
    return SuppressedErrors(CollectorRegistry())
