"""``POST /api/v1/commerce/imports``: upload an order file; a background job imports it.

The body is the file itself (``Content-Type: text/csv`` and the like), streamed to the private
data directory; the options of ``vantage import orders`` are query parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from starlette.responses import Response

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.context import core_of
from vantage.core.errors import ValidationFailed, VantageError
from vantage.core.idempotency import (
    IDEMPOTENT_WRITE_RESPONSES,
    IdempotentWrite,
    fingerprint_of,
    write_idempotently,
)
from vantage.core.jobs import Jobs
from vantage.core.jobs.schemas import JobRead
from vantage.core.openapi_schema import Documented
from vantage.packs.commerce.ingest.batch import OrderStatus
from vantage.packs.commerce.ingest.files import FileFormat
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import ImportAccepted
from vantage.packs.commerce.service import uploads
from vantage.packs.commerce.service.import_jobs import start_import
from vantage.packs.commerce.service.import_options import (
    MAPPING_PATTERN,
    MAX_BATCH_ORDERS,
    PRESET_NAMES,
    TEXT_ENCODINGS,
    TIME_ZONES,
    ImportOptions,
    parse_mapping,
)

router = APIRouter()
IDEMPOTENCY_SCOPE = "commerce.imports"


class UnsupportedMediaType(VantageError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


# Media type -> the file's format, and the delimiter it implies.
MEDIA_TYPES: dict[str, tuple[FileFormat, str | None]] = {
    "text/csv": (FileFormat.CSV, None),
    "text/tab-separated-values": (FileFormat.CSV, "\t"),
    "application/x-ndjson": (FileFormat.JSONL, None),
    "application/jsonl": (FileFormat.JSONL, None),
    "application/vnd.apache.parquet": (FileFormat.PARQUET, None),
}
_FILE = {"schema": {"type": "string", "format": "binary", "minLength": 1}}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": dict.fromkeys(MEDIA_TYPES, _FILE)}
}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **IDEMPOTENT_WRITE_RESPONSES,
    413: {"description": "The file is larger than VANTAGE_COMMERCE_MAX_IMPORT_BYTES"},
    415: {"description": f"A Content-Type other than {', '.join(MEDIA_TYPES)}"},
}


def _media_type(request: Request) -> tuple[FileFormat, str | None]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        return MEDIA_TYPES[media_type]
    except KeyError:
        raise UnsupportedMediaType(
            f"send the file as one of {', '.join(MEDIA_TYPES)}, not {media_type or 'nothing'!r}"
        ) from None


def _fingerprint(request: Request, received: uploads.ReceivedFile) -> str:
    # The options change what the import does, so they are part of "the same request".
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    return fingerprint_of(
        request.method.encode(),
        request.url.path.encode(),
        query.encode(),
        request.headers.get("content-type", "").encode(),
        received.sha256,
    )


@router.post(
    "/imports",
    response_model=ImportAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Import an order file in a background job (checked whole before anything is written)",
    description=(
        "The body is the file: CSV (`text/csv`, `text/tab-separated-values`), JSON lines "
        "(`application/x-ndjson`) or Parquet (`application/vnd.apache.parquet`). The answer "
        "names the job; `GET /api/v1/jobs/{id}` shows its progress (orders done of the total), "
        "then its result or the first bad line."
    ),
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
)
async def post_import(
    request: Request,
    principal: IngestPrincipal,
    runtime: CommerceRuntimeDep,
    jobs: Jobs,
    preset: Annotated[
        str | None,
        Query(max_length=100, description="A known layout, e.g. uci-online-retail"),
        Documented(enum=[*PRESET_NAMES, None]),
    ] = None,
    mapping: Annotated[
        list[Annotated[str, Documented(pattern=MAPPING_PATTERN)]] | None,
        Query(alias="map", max_length=50, description="FIELD=COLUMN, e.g. order_id=InvoiceNo"),
    ] = None,
    timezone: Annotated[
        str,
        Query(max_length=64, description="Zone of timestamps without one"),
        Documented(enum=TIME_ZONES),
    ] = "UTC",
    encoding: Annotated[
        str,
        Query(max_length=40, description="Text encoding of CSV files"),
        Documented(enum=TEXT_ENCODINGS),
    ] = "utf-8",
    delimiter: Annotated[
        str | None, Query(min_length=1, max_length=1, description="CSV delimiter")
    ] = None,
    default_status: Annotated[
        OrderStatus, Query(alias="status", description="Status of rows without one")
    ] = OrderStatus.COMPLETED,
    batch_size: Annotated[
        int | None,
        Query(ge=1, le=MAX_BATCH_ORDERS, description="Orders per batch (transaction)"),
    ] = None,
) -> Response:
    file_format, implied_delimiter = _media_type(request)
    options = ImportOptions(
        file_format=file_format,
        preset=preset,
        mapping=parse_mapping(mapping or []),
        timezone=timezone,
        encoding=encoding,
        delimiter=delimiter or implied_delimiter,
        status=default_status.value,
        batch_orders=batch_size,
    )
    options.check()
    core = core_of(request)
    tenant_id = principal.tenant_id
    received = await uploads.receive(request.stream(), uploads.uploads_dir(core.settings.data_dir))

    async def work(write: IdempotentWrite) -> Response:
        if received.size == 0:
            raise ValidationFailed.field(("body",), "the file is empty")
        queued = None
        try:
            async with core.database.transaction() as session:
                queued = await start_import(session, jobs, tenant_id, received, options)
                job = queued.job
                accepted = ImportAccepted(
                    job_id=job.id, status_url=f"/api/v1/jobs/{job.id}", job=JobRead.of(job)
                )
                return await write.answer(session, accepted, status_code=status.HTTP_202_ACCEPTED)
        except BaseException:
            if queued is not None:  # not committed: no job will ever read the file
                uploads.discard(queued.path)
            raise

    try:
        return await write_idempotently(
            request,
            runtime.idempotency,
            tenant_id,
            IDEMPOTENCY_SCOPE,
            work,
            fingerprint=_fingerprint(request, received),
        )
    finally:
        # Still here: the job was not queued (a replay, a refusal or a failed commit).
        uploads.discard(received.path)
