"""Job handlers of the commerce pack: each owns its unit of work, as an endpoint does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from vantage.core.jobs import JobContext, JobHandler
from vantage.packs.commerce.service.import_jobs import (
    cancel_was_asked,
    remove_abandoned_uploads,
    run_import,
)
from vantage.packs.commerce.service.import_options import ImportOptions
from vantage.packs.commerce.service.uploads import discard, upload_path, uploads_dir
from vantage.packs.commerce.settings import CommerceSettings

logger = structlog.get_logger("vantage.commerce")


def import_orders_job(settings_of: Callable[[], CommerceSettings]) -> JobHandler:
    """``commerce.import_orders``: check and import an uploaded file, then remove it."""

    async def handle(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        settings = settings_of()
        options = ImportOptions.from_params(params)
        directory = uploads_dir(ctx.settings.data_dir)
        path = upload_path(directory, ctx.tenant_id, ctx.job_id, options.file_format)
        ends = True
        try:
            return await run_import(
                ctx, path, options, settings.default_currency, settings.import_batch_orders
            )
        except asyncio.CancelledError:
            # A cancel ends the job; a shutdown or a hand-over runs it again and needs the file.
            ends = await _cancelled_for_good(ctx)
            raise
        finally:
            if ends:
                discard(path)

    return handle


# An upload's job is queued in the request that received it, so an hour-old upload whose job
# does not exist never will.
UPLOAD_GRACE_SECONDS = 3600.0


async def sweep_uploads(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """``commerce.sweep_uploads``: remove the uploads that no job will read any more."""
    directory = uploads_dir(ctx.settings.data_dir)
    removed = await remove_abandoned_uploads(
        ctx.database, ctx.jobs, directory, UPLOAD_GRACE_SECONDS
    )
    if removed:
        ctx.log(f"removed {removed} abandoned upload(s)")
    return {"removed": removed}


async def _cancelled_for_good(ctx: JobContext) -> bool:
    try:
        return await cancel_was_asked(ctx.database, ctx.jobs, ctx.tenant_id, ctx.job_id)
    except Exception:
        # Unsure: keep the file for a possible next attempt rather than lose the upload.
        logger.warning("import job: cancel state unknown", job_id=ctx.job_id, exc_info=True)
        return False
