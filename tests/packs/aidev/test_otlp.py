"""The OTLP/HTTP receiver: a real ``opentelemetry-sdk`` export against a live server, and the
spec's answers for partial success, unreadable bodies and other media types."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from google.protobuf.json_format import ParseDict
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tests.conftest import TEST_SECRET
from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import fixture_bytes, stored_traces
from tests.support.auth import api_key_headers, create_api_key
from tests.support.servers import free_port
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.principal import Scope
from vantage.packs.aidev import PACK

PROTOBUF = {"content-type": "application/x-protobuf"}


@pytest.fixture
async def live_server(tmp_path: Path, sqlite_url: str) -> AsyncIterator[tuple[str, Any]]:
    """The aidev pack served by uvicorn on a free port of 127.0.0.1."""
    settings = Settings(
        _env_file=None, database_url=sqlite_url, jwt_secret=TEST_SECRET,
        data_dir=tmp_path / "data", log_level="WARNING", rate_limit_enabled=False,
    )  # fmt: skip
    app = create_app(settings, packs=[PACK])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    # uvicorn tells that it started only through this flag.
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


def _export(endpoint: str, key: str) -> None:
    """Two GenAI client spans (current and deprecated names) and a tool span, exported with
    gzip by the SDK's OTLP/HTTP protobuf exporter."""
    exporter = OTLPSpanExporter(
        endpoint=endpoint, headers={"X-API-Key": key}, compression=Compression.Gzip, timeout=10
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "ide-plugin"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("ide-plugin")
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes({
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 500, "user.email": "sdk@example.com",
            "gen_ai.conversation.id": "sdk-conversation", "aidev.suggestion.accepted": True,
        })  # fmt: skip
        with tracer.start_as_current_span("execute_tool search") as tool:
            tool.set_attribute("gen_ai.operation.name", "execute_tool")
    with tracer.start_as_current_span("chat claude") as span:
        span.set_attributes({
            "gen_ai.system": "anthropic", "gen_ai.request.model": "claude-3-5-sonnet-20241022",
            "gen_ai.usage.prompt_tokens": 200, "gen_ai.usage.completion_tokens": 0,
            "user.email": "sdk@example.com", "gen_ai.conversation.id": "sdk-conversation",
        })  # fmt: skip
        span.set_status(Status(StatusCode.ERROR, "upstream timeout"))
    provider.shutdown()


async def test_a_real_sdk_export_is_stored_once(live_server: tuple[str, Any]) -> None:
    base, app = live_server
    key = await create_api_key(app, [Scope.INGEST, Scope.READ])
    await asyncio.to_thread(_export, base + "/v1/traces", key)
    rows = await stored_traces(app, 1)
    assert sorted((r["model"], r["failed"]) for r in rows.values()) == [
        ("claude-3-5-sonnet-20241022", True), ("gpt-4o-mini", False),
    ]  # fmt: skip
    chat = next(r for r in rows.values() if r["model"] == "gpt-4o-mini")
    assert (chat["input_tokens"], chat["output_tokens"]) == (1000, 500)
    assert (chat["developer"], chat["session_key"]) == ("sdk@example.com", "sdk-conversation")
    assert chat["suggestions_accepted"] == 1
    assert (
        chat["cost_usd"] is not None and chat["extra"]["resource"]["service.name"] == "ide-plugin"
    )
    async with httpx.AsyncClient(base_url=base, headers=api_key_headers(key)) as http:
        sessions = (await http.get("/api/v1/aidev/sessions")).json()
    assert [(s["session_key"], s["requests"], s["failed"]) for s in sessions["data"]] == [
        ("sdk-conversation", 2, 1)
    ]


def _genai_json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fixture_bytes("otel_genai_spans.json"))
    return document


async def _post(team: Team, body: bytes, **headers: str) -> httpx.Response:
    return await team.client.post("/v1/traces", content=body, headers={**team.headers, **headers})


async def test_json_export_with_a_bad_span_is_a_partial_success(team: Team) -> None:
    document = _genai_json()
    spans: list[dict[str, Any]] = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for attribute in spans[0]["attributes"]:
        if attribute["key"] == "gen_ai.usage.input_tokens":
            attribute["value"] = {"intValue": "x"}
    response = await _post(
        team, json.dumps(document).encode(), **{"content-type": "application/json"}
    )
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "intValue" in partial["errorMessage"]
    rows = await stored_traces(team.client.app, team.tenant_id)  # type: ignore[attr-defined]
    assert len(rows) == 3


async def test_protobuf_answers_in_protobuf(team: Team) -> None:
    request = ExportTraceServiceRequest()
    document = _genai_json()
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                # Protobuf JSON carries ids as base64, OTLP JSON as hex.
                span["traceId"] = base64.b64encode(bytes.fromhex(span["traceId"])).decode()
                span["spanId"] = base64.b64encode(bytes.fromhex(span["spanId"])).decode()
                span.pop("parentSpanId", None)
    ParseDict(document, request)
    body = gzip.compress(request.SerializeToString())
    response = await _post(team, body, **PROTOBUF, **{"content-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse()
    answer.ParseFromString(response.content)
    assert not answer.HasField("partial_success")
    assert len(await stored_traces(team.client.app, team.tenant_id)) == 4  # type: ignore[attr-defined]
    again = await _post(team, body, **PROTOBUF, **{"content-encoding": "gzip"})
    assert again.status_code == 200
    assert len(await stored_traces(team.client.app, team.tenant_id)) == 4  # type: ignore[attr-defined]


BAD_BODIES: list[tuple[bytes, dict[str, str], int]] = [
    (b"\xff\xff\xff\xff not protobuf", PROTOBUF, 400),
    (b"{not json", {"content-type": "application/json"}, 400),
    (b"[1, 2]", {"content-type": "application/json"}, 400),
    (b"not gzip", {**PROTOBUF, "content-encoding": "gzip"}, 400),
    (b"", {"content-type": "text/plain"}, 415),
    (b"x", {**PROTOBUF, "content-encoding": "br"}, 415),
]


@pytest.mark.parametrize(("body", "headers", "status"), BAD_BODIES)
async def test_unreadable_bodies_change_nothing(
    team: Team, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = await _post(team, body, **headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored_traces(team.client.app, team.tenant_id) == {}  # type: ignore[attr-defined]


async def test_the_receiver_needs_the_ingest_scope(team: Team) -> None:
    body = fixture_bytes("otel_genai_spans.json")
    anonymous = await team.client.post(
        "/v1/traces", content=body, headers={"content-type": "application/json"}
    )
    assert anonymous.status_code == 401
    reader = await team.client.post(
        "/v1/traces",
        content=body,
        headers={**team.reader_headers, "content-type": "application/json"},
    )
    assert reader.status_code == 403
