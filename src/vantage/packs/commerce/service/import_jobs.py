"""Import jobs: an uploaded file, checked whole, then written by the file importer.

The importer checks the whole file before it writes anything (a bad line fails the job with
nothing written) and counts its orders on the way, so the job reports progress as orders
done of a known total.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Database
from vantage.core.errors import NotFound, ValidationFailed
from vantage.core.jobs import Job, JobContext, JobService, RejectedInput
from vantage.core.jobs.models import FINISHED_STATUSES
from vantage.packs.commerce.ingest.files import Chunk
from vantage.packs.commerce.ingest.rows import RowError
from vantage.packs.commerce.service.import_options import ImportOptions
from vantage.packs.commerce.service.importer import ImportReport, import_file
from vantage.packs.commerce.service.uploads import (
    ReceivedFile,
    discard,
    move,
    old_uploads,
    upload_path,
)

IMPORT_JOB = "commerce.import_orders"


@dataclass(frozen=True)
class QueuedImport:
    job: Job
    path: Path


async def start_import(
    session: AsyncSession,
    jobs: JobService,
    tenant_id: int,
    received: ReceivedFile,
    options: ImportOptions,
) -> QueuedImport:
    """Queue the import of ``received`` in the caller's transaction and hand the file to it.

    Should the transaction not commit, the caller removes ``path``: no job will read it.
    """
    job = await jobs.enqueue(session, tenant_id, IMPORT_JOB, options.to_params())
    path = upload_path(received.path.parent, tenant_id, job.id, options.file_format)
    # The job is sent only after the transaction commits, so the file is in place before it runs.
    move(received, path)
    return QueuedImport(job, path)


@dataclass(frozen=True)
class ImportResult:
    orders: int
    created: int
    updated: int
    lines: int
    batches: int
    skipped: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportResult:
        return cls(report.orders, report.created, report.updated, report.lines,
                   report.batches, report.skipped)  # fmt: skip


async def run_import(
    ctx: JobContext, path: Path, options: ImportOptions, default_currency: str, batch_orders: int
) -> dict[str, Any]:
    """Check the file, then import it; the job's result."""
    if not await asyncio.to_thread(path.is_file):
        raise RejectedInput("the uploaded file is no longer there; upload it again")
    plan = options.plan(path, batch_orders)
    await ctx.progress(0, None, "checking the file")
    relay = ProgressRelay(ctx)
    try:
        async with relay:
            report = await import_file(
                ctx.database,
                ctx.tenant_id,
                plan,
                default_currency=default_currency,
                progress=relay,
                checked=relay.start,
            )
    except (RowError, ValidationFailed) as error:  # the file's fault: say so to its uploader
        raise RejectedInput(str(error)) from error
    total = relay.total or report.orders
    await ctx.progress(total, total, f"{report.orders:,} orders imported")
    ctx.log(
        f"imported {report.orders:,} orders ({report.created:,} new, {report.updated:,} updated, "
        f"{report.lines:,} lines) in {report.batches} batch(es)"
    )
    return asdict(ImportResult.of(report))


class ProgressRelay:
    """The importer reports progress from a plain callback; the job's progress is awaited.

    The callback only records the newest figures; one task passes them on, so a slow progress
    write never holds up the import and never piles up.
    """

    def __init__(self, ctx: JobContext) -> None:
        self._ctx = ctx
        self.total = 0
        self._orders: int | None = None
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def start(self, total: int) -> None:
        """The file passed its check and holds ``total`` orders."""
        self.total = total
        await self._ctx.progress(0, total, f"importing {total:,} orders")

    def __call__(self, chunk: Chunk, report: ImportReport) -> None:
        self._orders = report.orders
        self._wake.set()

    async def __aenter__(self) -> ProgressRelay:
        self._task = asyncio.create_task(self._relay())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        assert self._task is not None
        if kind is None:
            self._closing = True
            self._wake.set()
        else:
            self._task.cancel()
        # gather, not a bare await: a cancel of the job itself must still propagate from here.
        await asyncio.gather(self._task, return_exceptions=True)

    async def _relay(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            orders = self._orders
            if orders is not None:
                done = min(orders, self.total)
                await self._ctx.progress(
                    done, self.total, f"{done:,} of {self.total:,} orders imported"
                )


async def remove_abandoned_uploads(
    database: Database, jobs: JobService, directory: Path, grace_seconds: float
) -> int:
    """Remove the uploads no job will read: partial ones, and those of jobs that ended.

    A job removes its file when it ends; a job failed by the reaper after its worker died (or a
    process killed mid-upload) cannot, so this sweeps up after them. Files younger than
    ``grace_seconds`` are left alone: the job of one may not be committed yet.
    """
    partial, waiting = await asyncio.to_thread(old_uploads, directory, time.time(), grace_seconds)
    abandoned = list(partial)
    async with database.reader() as session:
        for upload in waiting:
            try:
                job = await jobs.get(session, upload.tenant_id, upload.job_id)
            except NotFound:
                abandoned.append(upload.path)
                continue
            if job.status in FINISHED_STATUSES:
                abandoned.append(upload.path)
    for path in abandoned:
        discard(path)
    return len(abandoned)


async def cancel_was_asked(
    database: Database, jobs: JobService, tenant_id: int, job_id: str
) -> bool:
    """Whether the job's stop is a cancel (it will not run again), not a shutdown or hand-over."""
    async with database.reader() as session:
        job = await jobs.get(session, tenant_id, job_id)
    return job.cancel_requested
