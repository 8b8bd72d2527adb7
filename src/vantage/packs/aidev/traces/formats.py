"""Which format a record is in, and reading any supported record into ``TraceRecord``s."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from vantage.packs.aidev.traces import litellm
from vantage.packs.aidev.traces.otel import Span, is_llm_span, is_otlp_json, json_spans
from vantage.packs.aidev.traces.otel import span_to_record as otel_span_to_record
from vantage.packs.aidev.traces.record import TraceRecord, TraceRejected

TraceFormat = Literal["litellm", "spendlogs", "otlp"]
TRACE_FORMATS: tuple[str, ...] = get_args(TraceFormat)


@dataclass(slots=True)
class Parsed:
    """What one input unit (a line, a body) held: requests, rejections with reasons, and the
    spans that are not LLM requests (ignored, not errors)."""

    records: list[TraceRecord] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    ignored: int = 0

    def add_spans(self, spans: Iterable[Span | TraceRejected]) -> None:
        """Read each span: LLM spans become records, others are counted as ignored."""
        for span in spans:
            if isinstance(span, TraceRejected):
                self.rejected.append(str(span))
            elif not is_llm_span(span):
                self.ignored += 1
            else:
                try:
                    self.records.append(otel_span_to_record(span))
                except TraceRejected as error:
                    self.rejected.append(str(error))


def sniff(record: Any) -> TraceFormat | None:
    """The format of one JSON value, or None when it is none of ours."""
    if not isinstance(record, Mapping):
        return None
    if is_otlp_json(record):
        return "otlp"
    if litellm.is_standard_logging_payload(record):
        return "litellm"
    if litellm.is_spend_log(record):
        return "spendlogs"
    return None


def read_record(record: Any, declared: TraceFormat | None = None) -> Parsed:
    """Read one JSON value in the declared format (or the one it looks like)."""
    parsed = Parsed()
    kind = declared or sniff(record)
    if kind is None or not isinstance(record, Mapping):
        parsed.rejected.append(
            "not a LiteLLM StandardLoggingPayload, a SpendLogs row or an OTLP JSON export"
        )
        return parsed
    try:
        if kind == "otlp":
            parsed.add_spans(json_spans(record))
        elif kind == "litellm":
            parsed.records.append(litellm.parse_standard_logging_payload(record))
        else:
            parsed.records.append(litellm.parse_spend_log(record))
    except TraceRejected as error:
        parsed.rejected.append(str(error))
    return parsed
