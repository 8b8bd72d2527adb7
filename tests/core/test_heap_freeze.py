"""While serving, what startup built is frozen out of the cycle collector's full passes, and
the young generation is collected less often; both are undone when the worker stops."""

from __future__ import annotations

import gc

from tests.conftest import ClientFactory


async def test_startup_objects_are_frozen_while_serving_and_released_after(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    async with client_for(sqlite_url, gc_young_threshold=12_345) as client:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (12_345, *before[1:])
        assert (await client.get("/health/live")).status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
