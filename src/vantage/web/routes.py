"""The UI's routes: the pages (``/`` for browsers, ``/ui/...``) and the static files."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from vantage.core.errors import NotFound
from vantage.core.packs import Pack
from vantage.web.assets import Asset, StaticAssets
from vantage.web.negotiation import prefers_html
from vantage.web.pages import Pages

IMMUTABLE = "public, max-age=31536000, immutable"
# A page of an older deployment asking for its version gets today's file, briefly cached.
STALE_VERSION = "public, max-age=60"


class BrowserOnlyRoute(Route):
    """A route that matches only requests preferring HTML, so ``GET /`` stays JSON for scripts
    (the JSON route of the same path answers everything else)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE or scope["type"] != "http":
            return match, child
        accept = dict(scope.get("headers", ())).get(b"accept", b"").decode("latin-1")
        return (match, child) if prefers_html(accept) else (Match.NONE, {})


def _asset_response(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {"Cache-Control": cache_control, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = asset.gzipped, "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def _routes(pages: Pages, assets: StaticAssets) -> list[Route]:
    async def home(request: Request) -> Response:
        return pages.render(pages.by_key["home"])

    async def sign_in(request: Request) -> Response:
        return pages.render(pages.by_key["sign-in"])

    async def admin_page(request: Request) -> Response:
        page = pages.by_key.get(f"admin/{request.path_params['section']}")
        if page is None:
            raise NotFound("There is no such admin page.")
        return pages.render(page)

    async def pack_page(request: Request) -> Response:
        page = pages.by_pack.get(request.path_params["pack"])
        if page is None:
            raise NotFound("This pack is not enabled or has no page.")
        return pages.render(page)

    async def static_file(request: Request) -> Response:
        asset = assets.get(request.path_params["path"])
        if asset is None:
            raise NotFound("There is no such static file.")
        current = request.path_params["version"] == assets.version
        return _asset_response(request, asset, IMMUTABLE if current else STALE_VERSION)

    return [
        BrowserOnlyRoute("/", home, methods=["GET"]),
        Route("/ui/sign-in", sign_in, methods=["GET"]),
        Route("/ui/admin/{section}", admin_page, methods=["GET"]),
        Route("/ui/packs/{pack}", pack_page, methods=["GET"]),
        Route("/ui/static/{version}/{path:path}", static_file, methods=["GET"]),
    ]


def install_web(app: FastAPI, packs: Iterable[Pack]) -> None:
    """Add the UI's routes; call before the JSON ``GET /`` is mounted, which it must precede."""
    packs = list(packs)
    assets = StaticAssets.collect(packs)
    pages = Pages(packs, assets)
    app.router.routes.extend(_routes(pages, assets))
