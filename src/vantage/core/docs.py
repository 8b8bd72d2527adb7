"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with their scripts
and styles served by this server: they render where no CDN is reachable, and their policy names
no other origin.

The bundles come from ``fastapi-offline``, which packages the Swagger UI and ReDoc releases that
FastAPI's own pages would load from jsDelivr.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import FileResponse, HTMLResponse

from vantage.core.errors import NotFound

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
PAGE_URLS = (DOCS_URL, REDOC_URL, OAUTH2_REDIRECT_URL)
ASSET_DIRECTORY = Path(str(files("fastapi_offline") / "static"))
ASSET_NAMES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
)
# The bundles change only with the installed package; a day's caching spares reloads of ~3 MB.
ASSET_CACHE_CONTROL = "public, max-age=86400"


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """Add the documentation pages and their assets to ``app`` (left out of the schema)."""
    favicon = f"{ASSETS_URL}/favicon.png"

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc() -> HTMLResponse:
        # Without Google's fonts ReDoc uses the browser's own, and needs no font origin.
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    async def asset(name: str) -> FileResponse:
        if name not in ASSET_NAMES:
            raise NotFound("There is no such documentation asset.")
        return FileResponse(ASSET_DIRECTORY / name, headers={"Cache-Control": ASSET_CACHE_CONTROL})

    app.add_api_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_api_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc, include_in_schema=False)
    app.add_api_route(f"{ASSETS_URL}/{{name}}", asset, include_in_schema=False)
