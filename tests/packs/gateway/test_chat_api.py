"""``/api/v1/chat/send`` and ``/api/v1/chat/stream`` end to end, against fake upstreams."""

from __future__ import annotations

import hashlib
import hmac

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.fakes import PROMPT_BASE
from tests.packs.gateway.identities import bearer, user_credential
from tests.packs.gateway.sse import all_events
from tests.packs.gateway.support import usage_rows
from vantage.core.auth.models import Role

# Specialist "analyst": system "You are an analyst." (4 words) + the message below (3 words).
MESSAGE = "how are margins"
ANALYST_PROMPT = PROMPT_BASE + 4 + 3


async def test_send_answers_and_records_exact_usage_and_cost(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        email = "Dana@Example.com"
        credential = await user_credential(gateway.app, Role.ANALYST, email=email)
        response = await http.post(
            "/api/v1/chat/send",
            json={"specialist": "analyst", "message": MESSAGE},
            headers=bearer(credential),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["specialist_slug"] == "analyst" and body["provider"] == "oa"
        assert (body["input_tokens"], body["output_tokens"]) == (ANALYST_PROMPT, 12)
        # gpt-4o-mini: 0.15 / 0.60 per 1M
        assert body["estimated_cost_usd"] == "0.000009300"
        assert body["estimated"] is False and body["unpriced"] is False
        sent = upstreams.openai.requests[-1]
        assert sent["messages"][0] == {"role": "system", "content": "You are an analyst."}
        assert sent["temperature"] == 0.1 and sent["max_tokens"] == 64
        await gateway.runtime.writer.flush()
        [row] = await usage_rows(gateway.runtime.database)
        assert row.request_id == body["request_id"]
        assert (row.input_tokens, row.output_tokens, row.status) == (ANALYST_PROMPT, 12, "ok")
        assert str(row.cost_usd).startswith("0.0000093")
        # An HMAC of the normalised e-mail, not the e-mail or a bare hash of it.
        assert row.user_hash == gateway.runtime.hasher.of("dana@example.com")
        assert row.user_hash != hashlib.sha256(b"dana@example.com").hexdigest()
        assert row.user_hash != hmac.new(b"", b"dana@example.com", hashlib.sha256).hexdigest()


async def test_stream_sends_chunks_then_done_with_the_upstream_usage(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        gateway_for(sqlite_url, upstreams, user_requests_per_minute=50) as gateway,
        gateway.client() as http,
    ):
        credential = await user_credential(gateway.app)
        async with http.stream(
            "POST",
            "/api/v1/chat/stream",
            json={"specialist": "claude", "message": MESSAGE},
            headers=bearer(credential),
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["X-RateLimit-Limit"] == "50"
            assert response.headers["X-RateLimit-Remaining"] == "49"
            assert '"gateway.requests";q=50;w=60' in response.headers["RateLimit-Policy"]
            events = await all_events(response)
        chunks = [e.json()["delta"] for e in events if e.name == "chunk"]
        assert "".join(chunks).startswith("alpha bravo") and len(chunks) == 12
        done = events[-1]
        assert done.name == "done"
        # Anthropic sent output counts 1, 7 and 12 (cumulative): 12 is right, 20 would be summed.
        prompt = PROMPT_BASE + 2 + 3  # "Be brief." + message
        assert (done.json()["input_tokens"], done.json()["output_tokens"]) == (prompt, 12)
        assert done.json()["estimated"] is False
        await gateway.runtime.writer.flush()
        [row] = await usage_rows(gateway.runtime.database)
        assert (row.input_tokens, row.output_tokens, row.streamed) == (prompt, 12, True)
        assert row.ttft_ms is not None and row.endpoint == "stream"


async def test_a_failure_mid_stream_ends_with_an_error_event(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        upstreams.openai.fail_next(500, mid_stream=True, message="boom")
        async with http.stream(
            "POST",
            "/api/v1/chat/stream",
            json={"model": "oa/gpt-4o-mini", "message": MESSAGE},
            headers=bearer(await user_credential(gateway.app)),
        ) as response:
            events = await all_events(response)
        assert [e.name for e in events].count("chunk") == 6
        error = events[-1]
        assert error.name == "error"
        problem = error.json()
        assert problem["status"] == 502 and problem["code"] == "UPSTREAM_ERROR"
        assert problem["type"].endswith("/upstream-error")
        await gateway.runtime.writer.flush()
        [row] = await usage_rows(gateway.runtime.database)
        assert row.status == "error" and row.estimated  # no usage chunk came: estimated
        assert row.output_tokens > 0


async def test_retries_then_fallback_serve_the_request(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        upstreams.openai.fail_next(503, count=2)  # max_retries=1: both tries fail
        response = await http.post(
            "/api/v1/chat/send",
            json={"specialist": "analyst", "message": MESSAGE},
            headers=bearer(await user_credential(gateway.app)),
        )
        assert response.status_code == 200, response.text
        assert (response.json()["provider"], response.json()["model"]) == (
            "an",
            "claude-haiku-4-5",
        )
        await gateway.runtime.writer.flush()
        [row] = await usage_rows(gateway.runtime.database)
        assert (row.provider, row.attempts, row.specialist_slug) == ("an", 3, "analyst")


async def test_upstream_failures_are_problems_and_still_recorded(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        headers = bearer(await user_credential(gateway.app))
        upstreams.openai.fail_next(500, count=2)
        response = await http.post(
            "/api/v1/chat/send", json={"model": "oa/gpt-4o-mini", "message": "x"}, headers=headers
        )
        assert response.status_code == 502
        assert response.headers["content-type"] == "application/problem+json"
        upstreams.openai.fail_next(400, message="maximum context length exceeded")
        response = await http.post(
            "/api/v1/chat/send", json={"model": "oa/gpt-4o-mini", "message": "x"}, headers=headers
        )
        assert response.status_code == 502
        assert response.json()["upstream_status"] == 400
        assert "maximum context length" not in response.text  # the upstream's words stay out
        await gateway.runtime.writer.flush()
        rows = await usage_rows(gateway.runtime.database)
        assert sorted((r.status, r.error_code) for r in rows) == [
            ("error", "upstream_bad_request"),
            ("error", "upstream_server"),
        ]
        assert all(r.input_tokens == 0 and r.cost_usd == 0 for r in rows)


async def test_bad_requests_are_clear_problems_that_change_nothing(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        gateway_for(sqlite_url, upstreams, max_messages=3, max_message_chars=50) as gateway,
        gateway.client() as http,
    ):
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))

        async def send(body: dict[str, object]) -> tuple[int, dict[str, object]]:
            response = await http.post("/api/v1/chat/send", json=body, headers=viewer)
            return response.status_code, response.json()

        status, problem = await send({"specialist": "analyst", "message": "x" * 51})
        assert (status, problem["code"]) == (413, "PAYLOAD_TOO_LARGE")
        history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}] * 2
        status, problem = await send({"specialist": "analyst", "message": "x", "history": history})
        assert (status, problem["code"]) == (422, "VALIDATION_ERROR")
        assert "at most 3" in str(problem["detail"])
        status, problem = await send({"specialist": "nope", "message": "x"})
        assert status == 404
        status, problem = await send({"specialist": "admins-only", "message": "x"})
        assert status == 403
        status, problem = await send({"model": "not a route", "message": "x"})
        assert status == 422
        status, problem = await send({"model": "zz/gpt", "message": "x"})
        assert status == 404
        status, problem = await send({"specialist": "analyst", "model": "oa/x", "message": "x"})
        assert status == 422
        response = await http.post(
            "/api/v1/chat/send", json={"specialist": "analyst", "message": "x"}
        )
        assert response.status_code == 401
        assert upstreams.openai.requests == []
        await gateway.runtime.writer.flush()
        assert await usage_rows(gateway.runtime.database) == []
