"""The golden corpus: each format maps every field the KPIs read; re-ingesting changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tests.packs.aidev.conftest import Team
from tests.packs.aidev.support import fixture_bytes, snapshot, stored_traces

NDJSON = {"content-type": "application/x-ndjson"}
JSON = {"content-type": "application/json"}
GENAI_TRACE_1 = "5b8efff798038103d269b633813fc60c"
GENAI_TRACE_2 = "6c9f00089914921e4e37a744924fd71d"
OI_TRACE = "7da011190a25a32f5f48b855a35fe82e"


async def _post(team: Team, path: str, name: str, headers: dict[str, str]) -> dict[str, object]:
    response = await team.client.post(
        path, content=fixture_bytes(name), headers={**team.headers, **headers}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _ingest_corpus(team: Team) -> list[dict[str, object]]:
    return [
        await _post(team, "/api/v1/aidev/traces", "litellm_standard_logging_payload.jsonl", NDJSON),
        await _post(team, "/api/v1/aidev/traces", "litellm_spend_logs.jsonl", NDJSON),
        await _post(team, "/v1/traces", "otel_genai_spans.json", JSON),
        await _post(team, "/api/v1/aidev/traces", "openinference_spans.json", JSON),
    ]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_litellm_payloads_map_every_field(team: Team) -> None:
    await _ingest_corpus(team)
    rows = await stored_traces(team.client.app, team.tenant_id)  # type: ignore[attr-defined]
    priced_by_litellm = rows["1e96a135-5e60-4946-9ff0-8a94f3d9a633"]
    assert priced_by_litellm["source"] == "litellm"
    assert priced_by_litellm["developer"] == "dev1@example.com"
    assert priced_by_litellm["identity_source"] == "email"
    assert priced_by_litellm["session_key"] == "s1"
    assert priced_by_litellm["model"] == "gpt-4o-mini"
    assert priced_by_litellm["provider"] == "openai"
    assert (priced_by_litellm["input_tokens"], priced_by_litellm["output_tokens"]) == (7, 8)
    assert priced_by_litellm["cost_usd"] == Decimal("0.00000585")
    assert priced_by_litellm["cost_source"] == "trace"
    assert priced_by_litellm["latency_ms"] == 302
    assert priced_by_litellm["failed"] is False
    assert "messages" not in priced_by_litellm["extra"]
    assert priced_by_litellm["extra"]["response_time"] > 0
    # LiteLLM logged 0 for the routed claude name: the pricing table prices it (3 / 15 USD/M).
    repriced = rows["00647ce6-fcb0-4607-8f30-44e1df0c88a1"]
    assert repriced["model"] == "claude-3-5-sonnet-20241022"
    assert repriced["cost_source"] == "pricing"
    assert repriced["cost_usd"] == Decimal("0.000138")
    assert repriced["session_key"] is None


async def test_spend_logs_map_every_field(team: Team) -> None:
    await _ingest_corpus(team)
    rows = await stored_traces(team.client.app, team.tenant_id)  # type: ignore[attr-defined]
    first, second = rows["chatcmpl-spend-0001"], rows["chatcmpl-spend-0002"]
    assert first["source"] == "spendlogs"
    assert (first["developer"], first["identity_source"]) == ("erin-owner", "api_key")
    assert first["started_at"] == _at("2026-11-23T16:00:00")
    assert first["latency_ms"] == 4000
    assert (first["suggestions_shown"], first["suggestions_accepted"]) == (2, 1)
    assert first["repository"] == "billing-service"
    assert (first["cost_usd"], first["cost_source"]) == (Decimal("0.0045"), "trace")
    assert first["extra"]["model_group"] == "gpt-4o"
    assert second["failed"] is True
    assert second["rating"] == -1
    assert second["model"] == "gpt-4o-mini"
    assert (second["cost_usd"], second["cost_source"]) == (Decimal("0.00015"), "pricing")


async def test_genai_spans_read_both_attribute_generations(team: Team) -> None:
    await _ingest_corpus(team)
    rows = await stored_traces(team.client.app, team.tenant_id)  # type: ignore[attr-defined]
    current = rows[GENAI_TRACE_1 + "eee19b7ec3c1b174"]
    assert current["source"] == "otel_genai"
    assert current["model"] == "gpt-4o-2024-08-06"  # the response model wins
    assert (current["input_tokens"], current["output_tokens"]) == (1200, 300)
    assert current["provider"] == "openai"
    assert (current["developer"], current["session_key"]) == ("bob@example.com", "conv-1")
    assert current["repository"] == "web-frontend"
    assert (current["suggestions_shown"], current["suggestions_accepted"]) == (1, 1)
    assert current["cost_usd"] == Decimal("0.006")
    assert current["extra"]["app.feature"] == "inline-chat"
    assert current["extra"]["resource"]["service.name"] == "ide-assistant"
    failed = rows[GENAI_TRACE_1 + "eee19b7ec3c1b175"]
    assert failed["failed"] is True and failed["provider"] == "anthropic"
    deprecated = rows[GENAI_TRACE_2 + "aaa19b7ec3c1b001"]
    assert (deprecated["input_tokens"], deprecated["output_tokens"]) == (500, 100)
    assert (deprecated["provider"], deprecated["developer"]) == ("openai", "carol")
    assert (deprecated["suggestions_shown"], deprecated["suggestions_accepted"]) == (3, 2)
    unknown = rows[GENAI_TRACE_2 + "aaa19b7ec3c1b002"]
    assert unknown["unpriced"] is True and unknown["cost_usd"] is None
    assert unknown["rating"] == -1
    assert GENAI_TRACE_2 + "aaa19b7ec3c1b003" not in rows  # the tool span is not a request


async def test_openinference_spans_map_every_field(team: Team) -> None:
    await _ingest_corpus(team)
    rows = await stored_traces(team.client.app, team.tenant_id)  # type: ignore[attr-defined]
    rated = rows[OI_TRACE + "bbb19b7ec3c1b001"]
    assert rated["source"] == "openinference"
    assert (rated["model"], rated["provider"]) == ("gpt-4o-mini", "openai")
    assert (rated["input_tokens"], rated["output_tokens"]) == (800, 200)
    assert (rated["developer"], rated["session_key"]) == ("dave", "oi-session-1")
    assert rated["rating"] == 1
    costed = rows[OI_TRACE + "bbb19b7ec3c1b002"]
    assert (costed["cost_usd"], costed["cost_source"]) == (Decimal("0.0123"), "trace")
    assert costed["extra"]["metadata"] == '{"ticket": "ENG-1"}'
    assert OI_TRACE + "bbb19b7ec3c1b000" not in rows  # the chain span


async def test_reingesting_the_corpus_changes_nothing(team: Team) -> None:
    first = await _ingest_corpus(team)
    assert [r.get("accepted") for r in first] == [6, 2, None, 2]  # OTLP answers in its own form
    app = team.client.app  # type: ignore[attr-defined]
    before = await snapshot(app, team.tenant_id)
    second = await _ingest_corpus(team)
    assert [r.get("accepted") for r in second] == [0, 0, None, 0]
    assert [r.get("duplicates") for r in second] == [6, 2, None, 2]
    assert await snapshot(app, team.tenant_id) == before
    assert len(before[0]) == 14
