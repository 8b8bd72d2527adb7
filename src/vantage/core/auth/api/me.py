"""``GET /api/v1/auth/me``: who the caller is."""

from __future__ import annotations

from fastapi import APIRouter

from vantage.core.auth.dependencies import CurrentPrincipal
from vantage.core.auth.schemas import MeOut

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.get("/me", response_model=MeOut, summary="The caller: user or API key, tenant and scopes")
async def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut.of(principal)
