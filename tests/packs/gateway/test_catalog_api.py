"""Specialists (file sync + admin CRUD), providers with health, pricing."""

from __future__ import annotations

import asyncio
import json

from tests.packs.gateway.conftest import SPECIALISTS, GatewayFactory, Upstreams
from tests.packs.gateway.identities import bearer, user_credential
from vantage.core.auth.models import Role


async def test_file_specialists_are_loaded_and_read_only(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        admin = bearer(await user_credential(gateway.app, Role.ADMIN))
        listed = (await http.get("/api/v1/specialists", headers=viewer)).json()
        assert [s["slug"] for s in listed["data"]] == sorted(s["slug"] for s in SPECIALISTS)
        analyst = next(s for s in listed["data"] if s["slug"] == "analyst")
        assert analyst["source"] == "config"
        assert analyst["fallbacks"] == ["an/claude-haiku-4-5"]
        assert analyst["temperature"] == 0.1 and analyst["max_tokens"] == 64
        response = await http.patch(
            f"/api/v1/specialists/{analyst['id']}", json={"name": "x"}, headers=admin
        )
        assert response.status_code == 409
        assert "config file" in response.json()["detail"]


async def test_a_specialist_dropped_from_the_file_is_retired(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams):
        pass
    kept = [s for s in SPECIALISTS if s["slug"] != "claude"]
    async with (
        gateway_for(sqlite_url, upstreams, config={"specialists": kept}) as gateway,
        gateway.client() as http,
    ):
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        active = (await http.get("/api/v1/specialists", headers=viewer)).json()["data"]
        assert "claude" not in {s["slug"] for s in active}
        everything = await http.get("/api/v1/specialists?include_inactive=true", headers=viewer)
        retired = next(s for s in everything.json()["data"] if s["slug"] == "claude")
        assert retired["active"] is False
        chat = await http.post(
            "/api/v1/chat/send", json={"specialist": "claude", "message": "x"}, headers=viewer
        )
        assert chat.status_code == 404


async def test_admins_manage_specialists_and_others_may_not(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        admin = bearer(await user_credential(gateway.app, Role.ADMIN))
        analyst = bearer(await user_credential(gateway.app, Role.ANALYST))
        body = {
            "slug": "forecaster",
            "name": "Forecaster",
            "system_prompt": "Forecast.",
            "provider": "an",
            "model": "claude-haiku-4-5",
            "fallbacks": ["oa/gpt-4o-mini"],
            "allowed_roles": ["analyst", "admin"],
        }
        assert (
            await http.post("/api/v1/specialists", json=body, headers=analyst)
        ).status_code == 403
        created = await http.post("/api/v1/specialists", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.headers["Location"].endswith(f"/{created.json()['id']}")
        assert (await http.post("/api/v1/specialists", json=body, headers=admin)).status_code == 409
        bad = await http.post(
            "/api/v1/specialists", json={**body, "slug": "other", "provider": "nope"}, headers=admin
        )
        assert bad.status_code == 422 and "unknown provider" in bad.json()["detail"]
        chat = await http.post(
            "/api/v1/chat/send", json={"specialist": "forecaster", "message": "x"}, headers=analyst
        )
        assert chat.status_code == 200 and chat.json()["provider"] == "an"

        specialist_id = created.json()["id"]
        patched = await http.patch(
            f"/api/v1/specialists/{specialist_id}",
            json={"model": "claude-next-test", "temperature": 0.3},
            headers=admin,
        )
        assert patched.status_code == 200
        assert (patched.json()["model"], patched.json()["temperature"]) == ("claude-next-test", 0.3)
        chat = await http.post(
            "/api/v1/chat/send", json={"specialist": "forecaster", "message": "x"}, headers=analyst
        )
        assert chat.json()["model"] == "claude-next-test"  # this process sees its change at once
        null_name = await http.patch(
            f"/api/v1/specialists/{specialist_id}", json={"name": None}, headers=admin
        )
        assert null_name.status_code == 422
        deleted = await http.delete(f"/api/v1/specialists/{specialist_id}", headers=admin)
        assert deleted.status_code == 204
        assert (
            await http.get(f"/api/v1/specialists/{specialist_id}", headers=admin)
        ).status_code == 404


async def test_providers_report_health_and_pricing_is_listed(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        gateway_for(sqlite_url, upstreams, unhealthy_after_failures=2) as gateway,
        gateway.client() as http,
    ):
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        upstreams.openai.fail_next(500, count=2)
        await http.post(
            "/api/v1/chat/send", json={"model": "oa/gpt-4o-mini", "message": "x"}, headers=viewer
        )
        providers = {
            p["name"]: p
            for p in (await http.get("/api/v1/providers", headers=viewer)).json()["data"]
        }
        assert set(providers) == {"oa", "an", "simulated"}
        assert providers["oa"]["healthy"] is False
        assert providers["oa"]["consecutive_failures"] == 2
        assert providers["oa"]["last_error"] == "upstream_server"
        assert providers["oa"]["credentials"] == "present"
        assert providers["simulated"]["credentials"] == "not_required"
        assert providers["an"]["healthy"] is True

        pricing = (await http.get("/api/v1/pricing", headers=viewer)).json()
        assert pricing["currency"] == "USD" and pricing["version"]
        mini = next(p for p in pricing["data"] if p["match"].startswith("gpt-4o-mini"))
        assert mini["input_per_1m"] == "0.15" and mini["output_per_1m"] == "0.60"
        assert (await http.get("/api/v1/pricing")).status_code == 401


async def test_unpriced_models_are_flagged(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        response = await http.post(
            "/api/v1/chat/send", json={"model": "oa/my-finetune", "message": "x"}, headers=viewer
        )
        assert response.status_code == 200
        assert response.json()["estimated_cost_usd"] is None
        assert response.json()["unpriced"] is True


async def test_stored_usage_is_published_on_the_live_channel(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        viewer = bearer(await user_credential(gateway.app, Role.VIEWER))
        async with http.stream("GET", "/api/v1/stream/gateway.usage", headers=viewer) as feed:
            assert feed.status_code == 200
            lines = feed.aiter_lines()
            answer = await http.post(
                "/api/v1/chat/send",
                json={"specialist": "analyst", "message": "how are margins"},
                headers=viewer,
            )
            message = None
            async with asyncio.timeout(10):
                async for line in lines:
                    if line.startswith("data:") and '"op":"message"' in line:
                        message = json.loads(line[5:])
                        break
        assert message is not None and message["channel"] == "gateway.usage"
        data = message["data"]
        assert data["requests"] == 1 and data["errors"] == 0
        assert data["rows"][0]["request_id"] == answer.json()["request_id"]
        assert data["rows"][0]["specialist"] == "analyst"
