"""``GET /`` (what this server is), ``GET /api/v1/packs`` and ``GET /metrics``."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.registry import Collector
from pydantic import BaseModel

from vantage import PRODUCT_NAME, __version__
from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.context import core_of
from vantage.core.docs import DOCS_URL
from vantage.core.packs import Pack
from vantage.core.ratelimit import rate_limit

router = APIRouter(dependencies=[Depends(rate_limit())])
metrics_router = APIRouter()


class PackOut(BaseModel):
    name: str
    title: str
    version: str
    description: str
    depends_on: list[str]


class PackList(BaseModel):
    data: list[PackOut]


class RootOut(BaseModel):
    name: str
    version: str
    environment: str
    packs: list[str]
    links: dict[str, str]


def _enabled_packs(request: Request) -> list[Pack]:
    packs: list[Pack] = request.app.state.packs
    return packs


@router.get("/", response_model=RootOut, tags=["meta"], summary="Product, version, packs and links")
@router.get("/api/v1", response_model=RootOut, tags=["meta"], summary="The same, under the API")
async def root(request: Request) -> RootOut:
    links = {"health": "/health", "packs": "/api/v1/packs"}
    if request.app.openapi_url:
        links["openapi"] = request.app.openapi_url
    if core_of(request).settings.docs_available:
        links["docs"] = DOCS_URL
    if core_of(request).settings.metrics_enabled:
        links["metrics"] = "/metrics"
    return RootOut(
        name=PRODUCT_NAME,
        version=__version__,
        environment=core_of(request).settings.env,
        packs=[pack.name for pack in _enabled_packs(request)],
        links=links,
    )


@router.get("/api/v1/packs", response_model=PackList, tags=["meta"], summary="Enabled packs")
async def list_packs(request: Request, _caller: ReadPrincipal) -> PackList:
    return PackList(
        data=[
            PackOut(
                name=pack.name,
                title=pack.title,
                version=pack.version,
                description=pack.description,
                depends_on=list(pack.depends_on),
            )
            for pack in _enabled_packs(request)
        ]
    )


def metrics_payload(registry: CollectorRegistry, live: Collector) -> bytes:
    """Exposition text; with several worker processes, HTTP metrics summed over all of them."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(registry)
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    combined.register(live)
    return generate_latest(combined)


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry = core_of(request).metrics_registry
    payload = metrics_payload(registry, request.app.state.live_collector)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
