"""The chat portal's ``/chat/send`` and ``/chat/stream``: its request and answer shapes, the
gateway's numbers."""

from __future__ import annotations

from decimal import Decimal

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.fakes import PROMPT_BASE
from tests.packs.gateway.identities import bearer, user_credential
from tests.packs.gateway.sse import all_events

PORTAL_REQUEST = {
    "specialist_id": "analyst",
    "message": "how are margins",
    "conversation_history": [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi there"},
    ],
}


async def test_send_answers_the_portal_shape_with_the_v1_figures(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        headers = bearer(await user_credential(gateway.app))
        portal = await http.post("/chat/send", json=PORTAL_REQUEST, headers=headers)
        v1 = await http.post(
            "/api/v1/chat/send",
            json={
                "specialist": "analyst",
                "message": PORTAL_REQUEST["message"],
                "history": PORTAL_REQUEST["conversation_history"],
            },
            headers=headers,
        )

    assert portal.status_code == 200, portal.text
    body, reference = portal.json(), v1.json()
    assert set(body) == {
        "content", "specialist_id", "specialist_name", "provider", "model", "tokens", "cost",
        "latency_ms", "request_id",
    }  # fmt: skip
    assert body["specialist_id"] == "analyst" and body["specialist_name"] == "Analyst"
    assert (body["provider"], body["model"]) == ("oa", "gpt-4o-mini")
    assert body["content"] == reference["content"]
    tokens = body["tokens"]
    assert tokens["input"] == reference["input_tokens"] > PROMPT_BASE
    assert tokens["output"] == reference["output_tokens"]
    assert tokens["total"] == tokens["input"] + tokens["output"]
    assert Decimal(body["cost"]) == Decimal(reference["estimated_cost_usd"]) > 0
    assert isinstance(body["latency_ms"], int)
    # The history reached the provider as the conversation before the message.
    sent = upstreams.openai.requests[-1]["messages"]
    assert [m["content"] for m in sent[1:]] == ["hello", "hi there", "how are margins"]


async def test_stream_sends_portal_chunks_then_done(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        headers = bearer(await user_credential(gateway.app))
        request = {**PORTAL_REQUEST, "specialist_id": "claude"}
        async with http.stream("POST", "/chat/stream", json=request, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = await all_events(response)

    chunks = [event.json()["content"] for event in events if event.name == "chunk"]
    assert "".join(chunks).startswith("alpha bravo") and len(chunks) == 12
    done = events[-1]
    assert done.name == "done"
    assert done.json()["tokens"]["output"] == 12
    assert done.json()["provider"] == "an"
    assert set(done.json()) >= {"cost", "latency_ms", "request_id"}


async def test_portal_errors_carry_detail_and_code(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        headers = bearer(await user_credential(gateway.app))
        unknown = await http.post(
            "/chat/send", json={**PORTAL_REQUEST, "specialist_id": "nobody"}, headers=headers
        )
        anonymous = await http.post("/chat/send", json=PORTAL_REQUEST)
        malformed = await http.post("/chat/send", json={"message": 3}, headers=headers)

    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND" and unknown.json()["detail"]
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "UNAUTHORIZED"
    assert malformed.status_code == 422 and malformed.json()["code"] == "VALIDATION_ERROR"
