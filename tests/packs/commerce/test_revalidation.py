"""Revalidating a dashboard costs no query; new data is never hidden for longer than promised.

An ingest committed by the worker that answers is seen at once. One committed by another
worker (here: another ``Database`` on the same file, as a second process would have) is seen
within ``VANTAGE_WATERMARK_CACHE_SECONDS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.conftest import ClientFactory
from tests.packs.commerce.conftest import make_shop
from tests.support.auth import DEFAULT_TENANT_ID
from tests.support.statements import StatementCounter
from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.watermarks import bump_watermark
from vantage.packs.commerce import PACK

DASHBOARD = "/dashboard?from=2025-03-01&to=2025-04-01"


async def test_revalidation_runs_no_query(client_for: ClientFactory, database_url: str) -> None:
    async with client_for(database_url, packs=[PACK], rate_limit_enabled=False) as client:
        shop = await make_shop(client, DEFAULT_TENANT_ID)
        etag = (await shop.get(DASHBOARD)).headers["etag"]
        assert (await shop.get(DASHBOARD, **{"If-None-Match": etag})).status_code == 304
        with StatementCounter(client.app) as counter:  # type: ignore[attr-defined]
            for _ in range(10):
                again = await shop.get(DASHBOARD, **{"If-None-Match": etag})
                assert again.status_code == 304
        assert counter.count == 0


async def _ingest_elsewhere_then_revalidate(
    client_for: ClientFactory,
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    *,
    copy_seconds: float,
    wait: float,
) -> None:
    """Another worker commits an ingest; after ``wait`` the old ETag must get a fresh 200."""
    async with client_for(
        sqlite_url, packs=[PACK], rate_limit_enabled=False, watermark_cache_seconds=copy_seconds
    ) as client:
        shop = await make_shop(client, DEFAULT_TENANT_ID)
        etag = (await shop.get(DASHBOARD)).headers["etag"]
        other_worker = Database(make_settings(database_url=sqlite_url))
        try:
            async with other_worker.transaction() as session:
                await bump_watermark(session, DEFAULT_TENANT_ID, "commerce")
        finally:
            await other_worker.dispose()
        await asyncio.sleep(wait)
        fresh = await shop.get(DASHBOARD, **{"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag


async def test_another_workers_ingest_shows_within_the_copy_lifetime(
    client_for: ClientFactory, sqlite_url: str, make_settings: Callable[..., Settings]
) -> None:
    await _ingest_elsewhere_then_revalidate(
        client_for, sqlite_url, make_settings, copy_seconds=0.3, wait=0.4
    )


async def test_no_copy_reads_the_watermark_every_time(
    client_for: ClientFactory, sqlite_url: str, make_settings: Callable[..., Settings]
) -> None:
    await _ingest_elsewhere_then_revalidate(
        client_for, sqlite_url, make_settings, copy_seconds=0, wait=0
    )
