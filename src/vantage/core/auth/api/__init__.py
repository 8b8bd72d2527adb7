"""The auth routes: ``/api/v1/auth`` (tokens, me) and ``/api/v1/admin`` (users, API keys)."""

from fastapi import APIRouter

from vantage.core.auth.api import api_keys, me, tokens, users

router = APIRouter()
for resource in (tokens, me, users, api_keys):
    router.include_router(resource.router)

__all__ = ["router"]
