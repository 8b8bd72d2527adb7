"""File import: validate the whole file, then write it in batches, one transaction per batch.

The file is read and checked before anything is written, so a file with a bad row writes
nothing. Building the next batch (in a worker thread) overlaps with writing the current one.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from vantage.core.db import Database
from vantage.core.errors import ValidationFailed
from vantage.packs.commerce.ingest.files import Chunk, ImportPlan, read_whole_file
from vantage.packs.commerce.service.ingest import ingest_batch, resolve_currency


@dataclass
class ImportReport:
    orders: int = 0
    created: int = 0
    updated: int = 0
    lines: int = 0
    batches: int = 0
    skipped: int = 0
    tenants_notified: set[int] = field(default_factory=set)


# Cycle-collector thresholds for the length of an import (see ``_rare_collections``).
IMPORT_GC_THRESHOLDS = (100_000, 50, 1000)


def _next(chunks: Iterator[Chunk]) -> Chunk | None:
    return next(chunks, None)


@contextmanager
def _rare_collections() -> Iterator[None]:
    """An import allocates millions of short-lived, acyclic objects (rows, tuples), which
    reference counting frees. At the default thresholds the cycle collector still runs
    thousands of times, its older passes walking every batch held in memory while the database
    thread waits for the interpreter. With rarer passes a million orders imported in 55-58 s
    against 58-60 s. The process's thresholds are restored afterwards."""
    previous = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


async def _nothing(orders: int) -> None:
    return None


async def import_file(
    database: Database,
    tenant_id: int,
    plan: ImportPlan,
    *,
    default_currency: str,
    progress: Callable[[Chunk, ImportReport], None] = lambda chunk, report: None,
    checked: Callable[[int], Awaitable[None]] = _nothing,
) -> ImportReport:
    """Import a whole file; raises ``RowError`` (with its line) on the first bad row.

    ``checked`` hears the number of orders once the file passed, before anything is written.
    """
    with _rare_collections():
        whole = await asyncio.to_thread(read_whole_file, plan)
        await checked(whole.orders)
        return await _import_batches(database, tenant_id, whole.chunks, default_currency, progress)


async def _import_batches(
    database: Database,
    tenant_id: int,
    chunks: Iterator[Chunk],
    default_currency: str,
    progress: Callable[[Chunk, ImportReport], None],
) -> ImportReport:
    report = ImportReport()
    upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks))
    try:
        while (chunk := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks))
            async with database.transaction() as session:
                currency = await resolve_currency(
                    session, tenant_id, chunk.currency, default_currency
                )
                if chunk.currency and chunk.currency != currency:
                    raise ValidationFailed(
                        f"the file's amounts are in {chunk.currency}, the tenant's in {currency}"
                    )
                outcome = await ingest_batch(session, tenant_id, chunk.batch, appending=True)
            report.orders += outcome.accepted
            report.created += outcome.created
            report.updated += outcome.updated
            report.lines += outcome.lines
            report.batches += 1
            report.skipped = chunk.skipped
            progress(chunk, report)
    finally:
        if not upcoming.done():
            upcoming.cancel()
        # The reader thread cannot be interrupted; let it finish its batch before returning.
        await asyncio.gather(upcoming, return_exceptions=True)
    return report
