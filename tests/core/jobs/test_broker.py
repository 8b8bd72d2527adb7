"""Broker choice, and an API that keeps serving while its broker is unreachable."""

from __future__ import annotations

from typing import Any

import pytest
from taskiq import InMemoryBroker

from tests.core.jobs.support import TENANT, JobsClientFactory, enqueue_count, job_of
from tests.support.servers import free_port
from vantage.core.jobs.broker import BrokerConfigurationError, create_broker


def test_the_broker_follows_the_broker_url(make_settings: Any) -> None:
    assert isinstance(create_broker(make_settings()), InMemoryBroker)
    redis_broker = create_broker(make_settings(broker_url="redis://127.0.0.1:1/0", job_queue="q"))
    assert type(redis_broker).__name__ == "RedisStreamBroker"
    assert redis_broker.queue_name == "q"  # type: ignore[attr-defined]
    with pytest.raises(BrokerConfigurationError, match="Redis URL"):
        create_broker(make_settings(broker_url="amqp://127.0.0.1/"))


async def test_requests_commit_while_the_broker_is_down(
    jobs_client_for: JobsClientFactory, sqlite_url: str
) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    async with jobs_client_for(sqlite_url, broker_url=unreachable) as client:
        job_id = await enqueue_count(client, n=1)
        job = await job_of(client, job_id)
        # Kept and queued: the reaper sends it again once a worker can receive it.
        assert job["status"] == "queued" and job["attempts"] == 0
        listed = await client.get("/api/v1/jobs", headers=TENANT)
        assert [item["id"] for item in listed.json()["data"]] == [job_id]
