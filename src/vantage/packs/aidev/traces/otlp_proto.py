"""OTLP protobuf ExportTraceServiceRequest, decoded with the official ``opentelemetry-proto``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from vantage.packs.aidev.traces.otel import Span


class NotProtobuf(ValueError):
    """The body is not an ExportTraceServiceRequest."""


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return None if kind is None else getattr(value, kind)


def _attributes(items: Iterable[KeyValue]) -> dict[str, Any]:
    return {item.key: _value(item.value) for item in items}


def decode_request(body: bytes) -> ExportTraceServiceRequest:
    """The request in ``body``; ``NotProtobuf`` when it does not parse."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RuntimeWarning, ValueError) as error:
        raise NotProtobuf(f"the body is not an OTLP ExportTraceServiceRequest: {error}") from error
    return request


def proto_spans(request: ExportTraceServiceRequest) -> Iterator[Span]:
    """Every span of the request, with its resource's attributes."""
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    name=span.name,
                    start_unix_nano=span.start_time_unix_nano,
                    end_unix_nano=span.end_time_unix_nano,
                    status_code=span.status.code,
                    attributes=_attributes(span.attributes),
                    resource=resource,
                )


def encode_response(rejected: int, message: str) -> bytes:
    """An ExportTraceServiceResponse, with partial_success when spans were rejected."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    encoded: bytes = response.SerializeToString()
    return encoded
