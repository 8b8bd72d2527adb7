"""Specialists and chat requests with NUL in their text are a 422 on every backend."""

from __future__ import annotations

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.identities import bearer, user_credential
from vantage.core.auth.models import Role


async def test_nul_in_specialists_and_chats_is_422(
    database_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(database_url, upstreams) as gateway, gateway.client() as http:
        admin = bearer(await user_credential(gateway.app, Role.ADMIN))
        body = {"slug": "forecaster", "name": "Fore\x00caster", "provider": "an", "model": "m"}
        created = await http.post("/api/v1/specialists", json=body, headers=admin)
        assert created.status_code == 422, created.text
        assert created.json()["errors"][0]["loc"] == ["body", "name"]
        prompt = {**body, "name": "Forecaster", "system_prompt": "Forecast.\x00"}
        assert (
            await http.post("/api/v1/specialists", json=prompt, headers=admin)
        ).status_code == 422
        chat = await http.post(
            "/api/v1/chat/send",
            json={"specialist": "analyst", "message": "hi", "session_id": "s\x00"},
            headers=admin,
        )
        assert chat.status_code == 422, chat.text
        assert chat.json()["errors"][0]["loc"] == ["body", "session_id"]
        kept = {**prompt, "system_prompt": "Forecast.\n\tCarefully."}
        assert (await http.post("/api/v1/specialists", json=kept, headers=admin)).status_code == 201
