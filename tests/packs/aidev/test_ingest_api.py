"""``POST /api/v1/aidev/traces``: shapes of a batch, rejections with positions, idempotency,
and what a bad body leaves behind (nothing)."""

from __future__ import annotations

import json

import pytest

from tests.packs.aidev.conftest import API, Team
from tests.packs.aidev.support import fixture_bytes, payload, stored_traces
from vantage.packs.aidev.runtime import AidevRuntime
from vantage.packs.aidev.traces import bodies


async def test_a_list_an_envelope_and_one_record_are_all_batches(team: Team) -> None:
    first = await team.post([payload("a", "2026-05-04T10:00:00Z")])
    assert first.json()["accepted"] == 1
    envelope = {"format": "litellm", "records": [payload("b", "2026-05-04T10:01:00Z")]}
    assert (await team.post(envelope)).json()["accepted"] == 1
    assert (await team.post(payload("c", "2026-05-04T10:02:00Z"))).json()["accepted"] == 1
    spend_row = json.loads(fixture_bytes("litellm_spend_logs.jsonl").splitlines()[0])
    declared = await team.post([spend_row], format="spendlogs")
    assert declared.json()["accepted"] == 1
    assert set(await stored_traces(team.client.app, team.tenant_id)) == {  # type: ignore[attr-defined]
        "a", "b", "c", "chatcmpl-spend-0001"
    }  # fmt: skip


async def test_bad_records_are_rejected_with_their_position_and_the_rest_goes_in(
    team: Team,
) -> None:
    records = [
        payload("ok-1", "2026-05-04T10:00:00Z"),
        {"hello": "world"},
        {**payload("bad-tokens", "2026-05-04T10:00:00Z"), "prompt_tokens": -3},
        {**payload("no-model", "2026-05-04T10:00:00Z"), "model": ""},
        payload("ok-2", "2026-05-04T10:05:00Z"),
        payload("ok-1", "2026-05-04T10:00:00Z"),
    ]
    body = (await team.post(records)).json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 3)
    reasons = {error["position"]: error["reason"] for error in body["errors"]}
    assert set(reasons) == {1, 2, 3}
    assert "not a LiteLLM" in reasons[1]
    assert "prompt_tokens" in reasons[2]
    assert "model" in reasons[3]


async def test_json_lines_report_line_numbers(team: Team) -> None:
    lines = [json.dumps(payload("l1", "2026-05-04T10:00:00Z")), "{broken", "",
             json.dumps(payload("l4", "2026-05-04T10:00:00Z"))]  # fmt: skip
    response = await team.client.post(
        API + "/traces",
        content="\n".join(lines).encode(),
        headers={**team.headers, "content-type": "application/x-ndjson"},
    )
    body = response.json()
    assert body["accepted"] == 2
    assert [error["position"] for error in body["errors"]] == [2]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b'{"records": [], "format": "csv"}', "application/json", 422),
        (b"a,b\n1,2", "text/csv", 415),
        (b"\xff\xfe", "application/x-ndjson", 422),
    ],
)
async def test_an_unreadable_body_changes_nothing(
    team: Team, content: bytes, content_type: str, status: int
) -> None:
    response = await team.client.post(
        API + "/traces", content=content, headers={**team.headers, "content-type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored_traces(team.client.app, team.tenant_id) == {}  # type: ignore[attr-defined]


async def test_an_oversized_batch_is_refused_whole(team: Team) -> None:
    runtimes = team.client.app.state.core.runtimes  # type: ignore[attr-defined]
    limit = runtimes.get("aidev", AidevRuntime).settings.max_batch_records
    records = [payload(f"r{i}", "2026-05-04T10:00:00Z") for i in range(limit + 1)]
    response = await team.post(records)
    assert response.status_code == 422
    assert await stored_traces(team.client.app, team.tenant_id) == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
async def test_an_oversized_batch_is_refused_before_its_records_are_read(
    team: Team, content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtimes = team.client.app.state.core.runtimes  # type: ignore[attr-defined]
    monkeypatch.setattr(runtimes.get("aidev", AidevRuntime).settings, "max_batch_records", 3)
    read: list[object] = []
    monkeypatch.setattr(bodies, "read_record", lambda record, kind: read.append(record))
    records = [json.dumps(payload(f"r{i}", "2026-05-04T10:00:00Z")) for i in range(4)]
    body = (
        "[" + ",".join(records) + "]"
        if content_type == "application/json"
        else (
            "\n\n".join(records)  # blank lines are not records
        )
    )
    response = await team.client.post(
        API + "/traces", content=body, headers={**team.headers, "content-type": content_type}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "a batch holds at most 3 records, got 4"
    assert read == []


async def test_an_idempotency_key_replays_the_first_answer(team: Team) -> None:
    headers = {**team.headers, "Idempotency-Key": "batch-1"}
    records = [payload("i1", "2026-05-04T10:00:00Z")]
    first = await team.client.post(API + "/traces", json=records, headers=headers)
    again = await team.client.post(API + "/traces", json=records, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["accepted"] == 1
    other = await team.client.post(
        API + "/traces", json=[payload("i2", "2026-05-04T10:00:00Z")], headers=headers
    )
    assert other.status_code == 422


async def test_readers_cannot_ingest(team: Team) -> None:
    response = await team.client.post(
        API + "/traces", json=[payload("x", "2026-05-04T10:00:00Z")], headers=team.reader_headers
    )
    assert response.status_code == 403
