from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.core.jobs.support import FAST_JOBS, JobsClientFactory
from tests.support.principals import principal_from_test_header
from vantage.core.jobs.endpoints import jobs_router


@pytest.fixture
def jobs_client_for(client_for: Any) -> JobsClientFactory:
    """An app with the jobs routes mounted behind the test-header principal."""

    @asynccontextmanager
    async def run(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with client_for(database_url, **{**FAST_JOBS, **overrides}) as client:
            router = jobs_router(principal_from_test_header, principal_from_test_header)
            client.app.include_router(router)  # type: ignore[attr-defined]
            yield client

    return run


@pytest.fixture
async def jobs_client(
    jobs_client_for: JobsClientFactory, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with jobs_client_for(database_url) as client:
        yield client
