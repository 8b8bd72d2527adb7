from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.core.jobs.support import FAST_JOBS, JobsClientFactory
from tests.support.auth import sign_in_as


@pytest.fixture
def jobs_client_for(client_for: Any) -> JobsClientFactory:
    """An app with fast job timings and a client signed in as an admin of the default tenant."""

    @asynccontextmanager
    async def run(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with client_for(database_url, **{**FAST_JOBS, **overrides}) as client:
            await sign_in_as(client)
            yield client

    return run


@pytest.fixture
async def jobs_client(
    jobs_client_for: JobsClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with jobs_client_for(database_url) as client:
        yield client
