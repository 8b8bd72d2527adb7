"""The usage writer: batches, idempotency, spool during outages, replay, drain on close."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.packs.gateway.outage import outage_for
from tests.packs.gateway.support import (
    record,
    rollup_requests,
    usage_count,
    usage_rows,
    writer_for,
)
from vantage.config import Settings
from vantage.core.db import Database
from vantage.packs.gateway.repository.usage_reads import rollup_summary
from vantage.packs.gateway.repository.usage_writes import insert_usage
from vantage.packs.gateway.usage import writer as writer_module
from vantage.packs.gateway.usage.spool import UsageSpool


async def _wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll ``predicate`` (the replay loop gives no signal to wait on)."""
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_rows_are_written_in_batches_with_an_exact_rollup(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    database = Database(make_settings(database_url=database_url))
    writer, _ = writer_for(database, tmp_path / "spool")
    await writer.start()
    for _ in range(120):
        writer.submit(record(cost_usd=Decimal("0.000000123")))
    await writer.flush()
    await writer.close()
    assert await usage_count(database) == 120
    assert await rollup_requests(database) == 120
    async with database.reader() as session:
        total, _ = await rollup_summary(
            session, 1, date(2000, 1, 1), date(2100, 1, 1), "day", limit=10
        )
    assert total.cost_nanousd == 120 * 123  # exact nano-dollar sums on every database
    await database.dispose()


async def test_the_same_request_id_is_stored_once(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    database = Database(make_settings(database_url=database_url))
    row = record()
    async with database.transaction() as session:
        assert len(await insert_usage(session, [row, row])) == 1
    async with database.transaction() as session:
        assert len(await insert_usage(session, [row, record()])) == 1
    assert await usage_count(database) == 2
    assert await rollup_requests(database) == 2
    await database.dispose()


async def test_outage_spools_then_replays_without_loss_or_doubles(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    async with outage_for(database_url) as outage:
        database = Database(make_settings(database_url=outage.url, db_connect_timeout_seconds=1))
        writer, spool = writer_for(database, tmp_path / "spool", replay_interval=0.1)
        await writer.start()
        first = [record() for _ in range(30)]
        for row in first:
            writer.submit(row)
        await writer.flush()
        assert await usage_count(database) == 30

        await outage.cut()
        during = [record() for _ in range(70)]
        for row in during:
            writer.submit(row)
        await writer.flush()
        assert not writer.database_ok
        assert spool.pending_files() >= 1

        await outage.restore()
        await _wait_for(lambda: _count_is(database, 100), timeout=15)
        await writer.close()
        ids = [r.request_id for r in await usage_rows(database)]
        assert sorted(ids) == sorted(r.request_id for r in first + during)
        assert await rollup_requests(database) == 100
        assert spool.pending_files() == 0
        await database.dispose()


async def _count_is(database: Database, expected: int) -> bool:
    try:
        return await usage_count(database) == expected
    except Exception:
        return False


async def test_a_segment_replayed_twice_adds_nothing(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    database = Database(make_settings(database_url=database_url))
    spool = UsageSpool(tmp_path / "spool")
    rows = [record() for _ in range(25)]
    spool.append(rows)
    spool.seal()
    segment = next((tmp_path / "spool").glob("*.jsonl"))
    shutil.copy(segment, segment.with_name("copy-" + segment.name))
    writer, _ = writer_for(database, tmp_path / "spool")
    assert await writer.replay() == 50
    assert await usage_count(database) == 25
    assert await rollup_requests(database) == 25
    await database.dispose()


async def test_close_drains_the_queue(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    database = Database(make_settings(database_url=database_url))
    writer, _ = writer_for(database, tmp_path / "spool", flush_interval=0.5)
    await writer.start()
    for _ in range(40):
        writer.submit(record())
    await writer.close()
    assert await usage_count(database) == 40
    await database.dispose()


async def test_rows_spooled_by_a_stopped_process_are_replayed_by_another(
    sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    async with outage_for(sqlite_url) as outage:
        database = Database(make_settings(database_url=outage.url))
        writer, _ = writer_for(database, tmp_path / "spool", drain_seconds=0.2)
        await writer.start()
        await outage.cut()
        for _ in range(15):
            writer.submit(record())
        await writer.close()  # the database is down: everything ends in the spool
        await outage.restore()
        await database.dispose()

    database = Database(make_settings(database_url=sqlite_url))
    successor, spool = writer_for(database, tmp_path / "spool")
    assert await successor.replay() == 15
    assert await usage_count(database) == 15
    assert spool.pending_files() == 0
    await database.dispose()


async def test_a_full_queue_spools_instead_of_blocking(
    sqlite_url: str,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = Database(make_settings(database_url=sqlite_url))
    # The replay loop stays asleep for the whole test: the replay below is the one that sends
    # the spooled rows, however long the flush before it takes.
    writer, spool = writer_for(database, tmp_path / "spool", queue_size=5, replay_interval=3600)
    warnings: list[str] = []
    monkeypatch.setattr(writer_module.logger, "warning", lambda event, **_: warnings.append(event))
    for _ in range(12):  # not started: nothing drains the queue
        writer.submit(record())
    assert writer.pending == 5
    assert spool.active_rows == 7
    # One warning for the episode, not one per spooled row.
    assert warnings == ["usage queue full; spooling rows until it drains"]
    await writer.start()
    await writer.flush()
    assert await writer.replay() == 7
    assert await usage_count(database) == 12
    await writer.close()
    await database.dispose()
