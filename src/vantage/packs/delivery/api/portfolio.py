"""Portfolio routes: ownership, team and project roll-ups, the executive summary, forecasts."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from vantage.core.auth.dependencies import AdminPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession, utcnow
from vantage.packs.delivery.api.dora import Filter
from vantage.packs.delivery.api.reads import Read
from vantage.packs.delivery.schemas import (
    ExecutiveOut,
    ForecastIn,
    ForecastOut,
    OwnershipBatchIn,
    OwnershipList,
    PortfolioOut,
)
from vantage.packs.delivery.service import executive, portfolio

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])


@router.get("/ownership", response_model=OwnershipList, summary="Who owns what")
async def get_ownership(session: ReadSession, principal: ReadPrincipal) -> OwnershipList:
    return OwnershipList(data=await portfolio.list_ownership(session, principal.tenant_id))


@router.put(
    "/ownership", response_model=OwnershipList, summary="Set teams and projects of repositories"
)
async def put_ownership(
    batch: OwnershipBatchIn, session: WriteSession, principal: AdminPrincipal
) -> OwnershipList:
    await portfolio.save_ownership(session, principal.tenant_id, batch)
    return OwnershipList(data=await portfolio.list_ownership(session, principal.tenant_id))


@router.get(
    "/portfolio",
    response_model=PortfolioOut,
    summary="DORA per team and project",
)
async def get_portfolio(read: Read, session: ReadSession) -> Response:
    return await read.json(lambda: portfolio.portfolio(session, read.tenant_id, read.window))


@router.get(
    "/executive",
    response_model=ExecutiveOut,
    summary="KPIs, trends and risks",
)
async def get_executive(read: Read, session: ReadSession, scope: Filter) -> Response:
    return await read.json(lambda: executive.executive(session, read.tenant_id, scope, read.window))


@router.post(
    "/forecast", response_model=ForecastOut, summary="Monte Carlo completion dates (seeded)"
)
async def post_forecast(
    request: ForecastIn, session: ReadSession, principal: ReadPrincipal
) -> ForecastOut:
    return await portfolio.forecast(session, principal.tenant_id, request, utcnow())
