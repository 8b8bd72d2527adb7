"""Tracked symbols: ``GET /symbols``, ``POST /symbols`` and ``DELETE /symbols/{symbol}``."""

# Annotations stay evaluated here: FastAPI reads the dependencies at runtime.
from typing import Annotated

from fastapi import APIRouter, Path, Response

from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.packs.trading.ingest.events import Symbol
from vantage.packs.trading.schemas_symbols import TrackedSymbolOut, TrackedSymbols, TrackSymbol
from vantage.packs.trading.service import symbols as symbol_service

# Reads count in ``trading.read``; changes in ``trading.ingest`` (rate-limit groups).
read_router = APIRouter(prefix="/symbols")
write_router = APIRouter(prefix="/symbols")


@read_router.get("", response_model=TrackedSymbols, summary="The symbols this tenant tracks")
async def tracked_symbols(principal: ReadPrincipal, session: ReadSession) -> TrackedSymbols:
    """Every tracked symbol, alphabetically."""
    return await symbol_service.tracked(session, principal.tenant_id)


@write_router.post(
    "",
    response_model=TrackedSymbolOut,
    status_code=201,
    responses={200: {"description": "Already tracked (nothing changed)"}},
    summary="Track a symbol",
)
async def track_symbol(
    body: TrackSymbol, principal: IngestPrincipal, session: WriteSession, response: Response
) -> TrackedSymbolOut:
    """Track a symbol: 201 when new, 200 when it was tracked already."""
    row, created = await symbol_service.track(session, principal, body.symbol)
    if not created:
        response.status_code = 200
    return row


@write_router.delete("/{symbol}", status_code=204, summary="Stop tracking a symbol")
async def untrack_symbol(
    symbol: Annotated[Symbol, Path()], principal: IngestPrincipal, session: WriteSession
) -> Response:
    """Stop tracking a symbol; 404 when it is not tracked."""
    await symbol_service.untrack(session, principal.tenant_id, symbol)
    return Response(status_code=204)
