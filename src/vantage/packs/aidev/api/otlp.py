"""``POST /v1/traces``: the OTLP/HTTP trace receiver (protobuf or JSON, optionally gzip).

Per the OTLP/HTTP specification the answer is 200 with an ExportTraceServiceResponse in the
request's encoding, carrying ``partial_success`` when some spans were rejected; a body that does
not parse is a 400 and any other media type a 415. Spans that are not LLM requests are accepted
and not stored. Re-exported spans are duplicates and change nothing.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from vantage.core.auth.dependencies import IngestPrincipal
from vantage.core.offload import parse_off_loop
from vantage.packs.aidev.api.content import (
    BadRequest,
    UnsupportedMediaType,
    body_of,
    media_type_of,
)
from vantage.packs.aidev.runtime import AidevRuntimeDep
from vantage.packs.aidev.service.batches import BatchReport
from vantage.packs.aidev.traces.bodies import Unit
from vantage.packs.aidev.traces.formats import Parsed
from vantage.packs.aidev.traces.otel import json_spans
from vantage.packs.aidev.traces.otlp_proto import (
    NotProtobuf,
    decode_request,
    encode_response,
    proto_spans,
)
from vantage.packs.aidev.traces.record import TraceRejected

router = APIRouter()
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# The body is read by hand (protobuf or JSON, gzip allowed), so its shape is declared here.
EXPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {"schema": {"type": "object", "description": "An ExportTraceServiceRequest"}},
            PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _parsed_protobuf(body: bytes) -> Parsed:
    try:
        request = decode_request(body)
    except NotProtobuf as error:
        raise BadRequest(str(error)) from error
    parsed = Parsed()
    parsed.add_spans(proto_spans(request))
    return parsed


def _parsed_json(body: bytes) -> Parsed:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise BadRequest("the body is not an ExportTraceServiceRequest object")
    parsed = Parsed()
    try:
        parsed.add_spans(list(json_spans(document)))
    except TraceRejected as error:
        raise BadRequest(f"the body is not an ExportTraceServiceRequest: {error}") from error
    return parsed


def _message(report: BatchReport) -> str:
    reasons = sorted({reason for _, reason in report.rejected})
    return "; ".join(reasons[:5])


@router.post(
    "/v1/traces",
    summary="OTLP/HTTP trace export (application/x-protobuf or application/json, gzip allowed)",
    openapi_extra=EXPORT_BODY,
    responses={
        200: {"description": "ExportTraceServiceResponse (partial_success on rejected spans)"},
        400: {"description": "The body is not a valid ExportTraceServiceRequest"},
        415: {"description": "Neither application/x-protobuf nor application/json"},
    },
)
async def export_traces(
    request: Request, principal: IngestPrincipal, runtime: AidevRuntimeDep
) -> Response:
    media_type = media_type_of(request)
    if media_type not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(f"send {PROTOBUF} or {JSON}, not {media_type!r}")
    body = await body_of(request, runtime.settings.max_batch_bytes)
    parsed = await parse_off_loop(
        _parsed_protobuf if media_type == PROTOBUF else _parsed_json, body
    )
    report = await runtime.ingestor.write(principal.tenant_id, [Unit(0, parsed)])
    rejected = len(report.rejected)
    if media_type == PROTOBUF:
        return Response(encode_response(rejected, _message(report)), media_type=PROTOBUF)
    answer: dict[str, object] = {}
    if rejected:
        answer["partialSuccess"] = {
            "rejectedSpans": str(rejected),
            "errorMessage": _message(report),
        }
    return Response(json.dumps(answer), media_type=JSON)
