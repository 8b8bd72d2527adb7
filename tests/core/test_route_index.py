"""The route index picks the route the full walk of the application's routes would pick."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRouter, iter_route_contexts
from starlette.routing import BaseRoute, Match

from tests.support.auth import app_of
from vantage.core.route_index import RouteIndex, literal_segments

PARAMETER = re.compile(r"\{([^}:]*)(?::([^}]*))?\}")
SAMPLES = {"int": "7", "float": "1.5", "uuid": str(uuid.uuid4()), "path": "a/b"}


@pytest.mark.parametrize(
    ("pattern", "segments"),
    [
        ("/", ("",)),
        ("/health", ("health",)),
        ("/health/", ("health", "")),
        ("/v1/chat/completions", ("v1", "chat", "completions")),
        ("/api/v1/gateway/usage/daily", ("api", "v1", "gateway")),
        ("/api/v1/commerce/orders/{order_id}", ("api", "v1", "commerce")),
        ("/ui/packs/{pack}", ("ui", "packs")),
        ("/ui/static/{version}/{path:path}", ("ui", "static")),
        ("/{rest:path}", ()),
        ("/file-{name}", ()),
        ("/items/{id}/parts", ("items",)),
        ("", ()),
        (None, ()),
    ],
)
def test_routes_are_filed_by_the_segments_every_matching_path_begins_with(
    pattern: str | None, segments: tuple[str, ...]
) -> None:
    assert literal_segments(pattern) == segments


def _concrete(path: str) -> str:
    return PARAMETER.sub(lambda found: SAMPLES.get(found.group(2) or "", "x1"), path)


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _pick(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[Match, BaseRoute | None]:
    """What Starlette's routing loop selects: the first full match, else the first partial."""
    partial = None
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match is Match.FULL:
            return match, route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


async def test_every_route_of_every_pack_is_picked_as_the_full_walk_picks_it(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    app = app_of(every_pack_sqlite_client)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    checked = 0
    for context in iter_route_contexts(app.routes):
        if not context.path:
            continue
        for method in sorted(context.methods or {"GET"}):
            # The route's own path, and the same with a trailing slash (a redirect or a miss).
            for path in (_concrete(context.path), _concrete(context.path) + "/"):
                scope = _scope(path, method)
                walked = _pick(list(app.routes), scope)
                indexed = _pick(list(index.router_for(scope).routes), scope)
                assert indexed == walked, (method, path)
                checked += 1
    assert checked > 300
    # The index narrows the walk: a gateway call is not tried against the other packs.
    narrowed = index.router_for(_scope("/v1/chat/completions", "POST")).routes
    assert len(narrowed) < len(app.routes) / 2


async def test_misses_redirects_and_wrong_methods_are_answered_as_before(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    client = every_pack_sqlite_client
    missing = await client.get("/api/v1/gateway/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/nowhere/at/all")).status_code == 404
    wrong_method = await client.delete("/health/live")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["allow"]
    redirected = await client.get("/health/live/", follow_redirects=False)
    assert redirected.status_code in (307, 308)
    assert redirected.headers["location"].endswith("/health/live")
    assert (await client.get("/health/live")).status_code == 200


async def test_a_route_added_after_the_app_was_built_is_served(
    every_pack_sqlite_client: httpx.AsyncClient,
) -> None:
    app: FastAPI = app_of(every_pack_sqlite_client)
    assert (await every_pack_sqlite_client.get("/late/arrival")).status_code == 404
    late = APIRouter(prefix="/late")

    @late.get("/arrival")
    async def arrival() -> dict[str, str]:
        return {"url": str(app.url_path_for("arrival"))}

    app.include_router(late)
    try:
        response = await every_pack_sqlite_client.get("/late/arrival")
        assert response.status_code == 200
        assert response.json() == {"url": "/late/arrival"}
    finally:
        app.router.routes.pop()
