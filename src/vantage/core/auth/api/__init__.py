"""The auth routes: ``/api/v1/auth`` (tokens, me) and ``/api/v1/admin`` (users, API keys)."""

from fastapi import APIRouter

from vantage.core.auth.api import api_keys, me, tokens, users

# Token and account routes are throttled per client by the app (anyone may call them).
account_router = APIRouter()
for resource in (tokens, me):
    account_router.include_router(resource.router)

admin_router = APIRouter()
for resource in (users, api_keys):
    admin_router.include_router(resource.router)

__all__ = ["account_router", "admin_router"]
