"""The hub as the application wires it: real access tokens and API keys, and job progress."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.auth import (
    access_token_for,
    create_api_key,
    create_tenant,
    create_user,
    headers_for,
)
from tests.support.realtime import close_code, open_socket, receive, serve, subscribe
from tests.support.testpack import PACK as TEST_PACK
from vantage.app import create_app
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.core.auth.principal import Scope


async def test_job_progress_reaches_a_subscriber_signed_in_with_a_real_token(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    app = create_app(make_settings(database_url=sqlite_url), packs=[TEST_PACK])
    async with serve(app) as server:
        admin = await create_user(app, Role.ADMIN)
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            started = await http.post(
                "/api/v1/testpack/count",
                params={"n": 20, "step": 0.05},
                headers=headers_for(app, admin),
            )
        job_id = started.json()["job_id"]

        ws = await open_socket(server.ws_url, as_user=access_token_for(app, admin))
        answer = await subscribe(ws, f"core.jobs:{job_id}")
        assert answer["channel"] == f"core.jobs:{job_id}"
        seen: list[int] = []
        while not seen or seen[-1] < 20:
            frame = await receive(ws, within=10)
            if frame["op"] == "message" and "done" in frame["data"]:
                seen.append(frame["data"]["done"])
        assert seen == sorted(seen)  # progress never goes back
        await ws.close()


async def test_api_keys_authenticate_and_bad_credentials_are_refused(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    app = create_app(make_settings(database_url=sqlite_url), packs=[TEST_PACK])
    async with serve(app) as server:
        key = await create_api_key(app, [Scope.READ])
        ws = await open_socket(server.ws_url, as_user=key)
        await subscribe(ws, "core.jobs:anything")
        await ws.close()

        forged = await open_socket(server.ws_url, as_user="vk_nope_notakey")
        assert await close_code(forged) == 4001


async def test_another_tenant_hears_nothing_on_the_same_channel_name(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    app = create_app(make_settings(database_url=sqlite_url), packs=[TEST_PACK])
    async with serve(app) as server:
        other = await create_tenant(app)
        stranger = await create_user(app, Role.ADMIN, tenant_id=other.id)
        ws = await open_socket(server.ws_url, as_user=access_token_for(app, stranger))
        await subscribe(ws, "core.jobs:shared-name")
        await server.hub.publish(1, "core.jobs:shared-name", {"done": 1})
        await server.hub.publish(other.id, "core.jobs:shared-name", {"done": 2})
        frame = await receive(ws)
        assert frame["op"] == "message" and frame["data"] == {"done": 2}
        await ws.close()
