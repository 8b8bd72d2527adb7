"""``POST /api/v1/aidev/traces``: a batch of LiteLLM payloads, SpendLogs rows or OTLP JSON."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import Claim, StoredResponse, respond_idempotently
from vantage.core.offload import parse_off_loop
from vantage.packs.aidev.api.content import UnsupportedMediaType, body_of, media_type_of
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.schemas import IngestResult, RejectedRecord
from vantage.packs.aidev.service.batches import BatchReport
from vantage.packs.aidev.traces.bodies import (
    Unit,
    UnreadableBody,
    read_json_body,
    read_json_lines,
    refuse_beyond,
)
from vantage.packs.aidev.traces.formats import TraceFormat

router = APIRouter()
JSON = "application/json"
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
IDEMPOTENCY_SCOPE = "aidev.traces"
# The body is read by hand (JSON or JSON lines, gzip allowed), so its shape is declared here.
TRACES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {
                "schema": {"type": ["object", "array"], "description": "Records or an OTLP export"}
            },
            JSON_LINES[0]: {"schema": {"type": "string", "description": "One record a line"}},
        },
    }
}


def result_of(report: BatchReport) -> IngestResult:
    """The response body of an ingest call."""
    return IngestResult(
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected=len(report.rejected),
        ignored=report.ignored,
        unpriced=report.unpriced,
        errors=[RejectedRecord(position=p, reason=r) for p, r in report.rejected[:1000]],
        data_as_of=report.committed_at,
    )


def _units(
    body: bytes, media_type: str, declared: TraceFormat | None, max_records: int
) -> list[Unit]:
    """The batch's records, read once the batch is known to hold no more than allowed."""
    try:
        if media_type == JSON:
            return read_json_body(body, declared, max_records)
        if media_type in JSON_LINES:
            lines = enumerate(body.decode("utf-8").splitlines(), start=1)
            filled = [(number, line) for number, line in lines if line.strip()]
            refuse_beyond(len(filled), max_records)
            return list(read_json_lines(filled, declared))
    except (UnreadableBody, UnicodeDecodeError) as error:
        raise ValidationFailed(str(error)) from error
    raise UnsupportedMediaType(f"send {JSON} or application/x-ndjson, not {media_type!r}")


@router.post(
    "/traces",
    response_model=IngestResult,
    summary="Ingest LLM requests (LiteLLM payloads or SpendLogs rows, OTLP JSON); "
    "re-sent requests are duplicates",
    openapi_extra=TRACES_BODY,
    responses={
        409: {"description": "Same Idempotency-Key still in flight"},
        415: {"description": "A body that is neither JSON nor JSON lines"},
    },
)
async def post_traces(
    request: Request,
    principal: IngestPrincipal,
    runtime: AidevRuntimeDep,
    trace_format: Annotated[
        TraceFormat | None,
        Query(alias="format", description="Declare the format instead of sniffing each record"),
    ] = None,
) -> Response:
    tenant_id = principal.tenant_id
    settings = runtime.settings

    async def handle(claim: Claim | None) -> Response:
        body = await body_of(request, settings.max_batch_bytes)
        read = partial(
            _units,
            media_type=media_type_of(request),
            declared=trace_format,
            max_records=settings.max_batch_records,
        )
        units = await parse_off_loop(read, body)

        async def complete(session: AsyncSession, report: BatchReport) -> None:
            if claim is not None:
                stored = result_of(report).model_dump_json().encode()
                await runtime.idempotency.complete(
                    session, claim, StoredResponse(200, JSON, stored)
                )

        report = await runtime.ingestor.write(tenant_id, units, complete)
        return Response(result_of(report).model_dump_json(), media_type=JSON)

    return await respond_idempotently(
        request, runtime.idempotency, tenant_id, IDEMPOTENCY_SCOPE, handle
    )
