"""The compatibility surface: declared aliases are mounted, documented as deprecated, and gone
when ``VANTAGE_COMPAT_ROUTES`` is false."""

from __future__ import annotations

import json

import httpx
from fastapi.routing import iter_route_contexts

from tests.conftest import ClientFactory, every_pack
from tests.support.auth import app_of
from vantage.core.compat_forwarding import EventReframer


def _mounted(client: httpx.AsyncClient) -> set[str]:
    return {context.path or "" for context in iter_route_contexts(app_of(client).routes)}


def _aliases() -> set[str]:
    paths: set[str] = set()
    for pack in every_pack():
        if pack.compat is not None:
            paths.update(route.path for route in pack.compat.routes)
            paths.update(socket.path for socket in pack.compat.sockets)
    return paths


async def test_aliases_are_deprecated_and_tagged(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    document = (await every_pack_sqlite_client.get("/openapi.json")).json()
    http_aliases = {
        route.path for pack in every_pack() if pack.compat for route in pack.compat.routes
    }

    assert {"/api/dashboard", "/api/revenue", "/chat/send"} <= http_aliases
    for path in http_aliases:
        for operation in document["paths"][path].values():
            assert operation["tags"] == ["compat"], path
            assert operation["deprecated"] is True, path
    v1 = document["paths"]["/api/v1/commerce/dashboard"]["get"]
    assert "deprecated" not in v1


async def test_switching_compat_routes_off_removes_every_alias(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, packs=every_pack(), compat_routes=False) as client:
        mounted = _mounted(client)
        document = (await client.get("/openapi.json")).json()
        dashboard = await client.get("/api/dashboard")
        health = await client.get("/api/health")

    assert _aliases()
    assert not _aliases() & mounted
    assert not _aliases() & set(document["paths"])
    assert dashboard.status_code == 404
    assert health.status_code == 404


async def test_aliases_are_mounted_by_default(every_pack_sqlite_client: httpx.AsyncClient) -> None:
    mounted = _mounted(every_pack_sqlite_client)

    assert _aliases() <= mounted


def test_event_reframer_adapts_events_split_across_chunks() -> None:
    reframer = EventReframer(lambda event, data: ("delta", {"text": data["delta"]}))

    first = reframer.feed(b'event: chunk\ndata: {"del')
    second = reframer.feed(b'ta":"hi"}\n\n: ping\n\n')

    assert first == b""
    event, comment = second.split(b"\n\n")[:2]
    assert event == b'event: delta\ndata: {"text":"hi"}'
    assert comment == b": ping"
    assert json.loads(event.split(b"data: ")[1]) == {"text": "hi"}


def test_event_reframer_drops_events_the_adapter_refuses() -> None:
    reframer = EventReframer(lambda event, data: None if event == "noise" else (event, data))

    assert reframer.feed(b"event: noise\ndata: 1\n\nevent: done\ndata: 2\n\n") == (
        b"event: done\ndata: 2\n\n"
    )
