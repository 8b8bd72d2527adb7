"""An upstream's error text never reaches clients or /providers; the log keeps it, redacted."""

from __future__ import annotations

import pytest

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.identities import bearer, user_credential
from tests.packs.gateway.sse import all_events
from vantage.core.auth.models import Role
from vantage.packs.gateway.providers.errors import redact

LEAKED_KEY = "sk-proj-Zx81kQ2mP0aLw9cVbN7rT4yU"
UPSTREAM_TEXT = f"Incorrect API key provided: {LEAKED_KEY}. Internal host db-7.corp"


def test_redact_masks_key_like_substrings() -> None:
    text = redact(f"{UPSTREAM_TEXT}; Bearer abcdefgh12345678; key vk_ab12cd34_secret-part")
    assert LEAKED_KEY not in text and "sk-p****" in text
    assert "abcdefgh12345678" not in text and "secret-part" not in text
    assert "Internal host db-7.corp" in text  # ordinary words stay readable


@pytest.mark.parametrize("status", [400, 401, 404, 500])
async def test_clients_get_a_stable_problem_without_upstream_text(
    sqlite_url: str,
    upstreams: Upstreams,
    gateway_for: GatewayFactory,
    capfd: pytest.CaptureFixture[str],
    status: int,
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        upstreams.openai.fail_next(status, count=2, message=UPSTREAM_TEXT)
        response = await http.post(
            "/api/v1/chat/send", json={"model": "oa/gpt-4o-mini", "message": "x"}, headers=viewer
        )
        assert response.status_code == 502, response.text
        problem = response.json()
        assert problem["code"] == "UPSTREAM_ERROR"
        assert (problem["provider"], problem["upstream_status"]) == ("oa", status)
        assert "Incorrect" not in response.text and "sk-proj" not in response.text

        listed = (await http.get("/api/v1/providers", headers=viewer)).json()["data"]
        oa = next(p for p in listed if p["name"] == "oa")
        # A rejected request (400) says nothing about the provider's health.
        expected = {400: None, 401: "upstream_auth", 404: "upstream_not_found"}
        assert oa["last_error"] == expected.get(status, "upstream_server")
        assert (oa["last_failure_at"] is None) == (status == 400)
        assert "Incorrect" not in str(listed)
    logged = capfd.readouterr().err
    assert "sk-p****" in logged and LEAKED_KEY not in logged


async def test_a_stream_ends_with_the_same_stable_problem(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        upstreams.openai.fail_next(500, mid_stream=True, message=UPSTREAM_TEXT)
        async with http.stream(
            "POST",
            "/api/v1/chat/stream",
            json={"model": "oa/gpt-4o-mini", "message": "how are margins"},
            headers=bearer(await user_credential(gateway.app)),
        ) as response:
            events = await all_events(response)
        problem = events[-1].json()
        assert (events[-1].name, problem["code"], problem["provider"]) == (
            "error",
            "UPSTREAM_ERROR",
            "oa",
        )
        assert "Incorrect" not in str(problem)
