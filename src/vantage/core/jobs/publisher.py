"""Where job progress goes besides the database: the realtime channel ``core.jobs:<id>``."""

from __future__ import annotations

from typing import Any, Protocol

import structlog

logger = structlog.get_logger("vantage.jobs")


class Publisher(Protocol):
    """Anything that can fan a message out to a tenant's subscribers of a channel."""

    async def publish(self, tenant_id: int, channel: str, data: dict[str, Any]) -> object: ...


class NullPublisher:
    """Publishes nowhere: used until a realtime hub is wired in."""

    async def publish(self, tenant_id: int, channel: str, data: dict[str, Any]) -> object:
        return None


def job_channel(job_id: str) -> str:
    """The realtime channel carrying one job's status and progress."""
    return f"core.jobs:{job_id}"


async def publish_safely(
    publisher: Publisher, tenant_id: int, job_id: str, data: dict[str, Any]
) -> None:
    """Publish a job event; a failing hub is logged and never fails the job."""
    try:
        await publisher.publish(tenant_id, job_channel(job_id), {"id": job_id, **data})
    except Exception:
        logger.warning("job event not published", job_id=job_id, exc_info=True)
