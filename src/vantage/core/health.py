"""Liveness, readiness and database health; each check is bounded in time.

Anyone may ask whether the service is up, but only an admin sees why a check failed, its
latency, versions, pool sizes: a failure's text names hosts and ports, which anonymous
callers (load balancers, the internet) have no use for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vantage import __version__
from vantage.core.auth.dependencies import authenticate_credential, presented_credential
from vantage.core.auth.principal import Scope
from vantage.core.context import core_of
from vantage.core.db import Database
from vantage.core.errors import problem_response
from vantage.core.migrations import head_revisions

router = APIRouter(tags=["health"])

CheckStatus = Literal["ok", "fail"]


class CheckResult(BaseModel):
    status: CheckStatus
    latency_ms: float | None = None
    detail: str | None = None


class LiveOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, CheckResult]


class DatabaseOut(BaseModel):
    status: CheckStatus
    dialect: str | None = None
    latency_ms: float | None = None
    revision: list[str] | None = None
    head: list[str] | None = None
    pool: dict[str, dict[str, int]] | None = None


class SummaryOut(BaseModel):
    status: Literal["ok", "degraded"]
    version: str | None = None
    uptime_seconds: float | None = None
    checks: dict[str, CheckResult]


async def _shows_details(request: Request) -> bool:
    """Whether the caller is an admin; a missing or refused credential just means no."""
    try:
        credential = presented_credential(request.headers)
        if credential is None:
            return False
        principal = await authenticate_credential(request.app, credential)
    except Exception:  # refused, or the credential store is down: health still answers
        return False
    return principal.has(Scope.ADMIN)


ShowsDetails = Annotated[bool, Depends(_shows_details)]


def _statuses_only(checks: dict[str, CheckResult]) -> dict[str, CheckResult]:
    return {name: CheckResult(status=result.status) for name, result in checks.items()}


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


async def _timed(check: Callable[[], Awaitable[str | None]], timeout: float) -> CheckResult:
    began = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            detail = await check()
    except TimeoutError:
        return CheckResult(status="fail", latency_ms=timeout * 1000, detail="timed out")
    except Exception as error:  # a failed check is a result, never an exception
        return _failed(began, _one_line(error))
    return CheckResult(status="ok", latency_ms=_ms_since(began), detail=detail)


def _ms_since(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 2)


def _failed(began: float, detail: str) -> CheckResult:
    return CheckResult(status="fail", latency_ms=_ms_since(began), detail=detail)


async def _check_database(database: Database, timeout: float) -> str | None:
    await database.ping(timeout)
    return None


async def _check_migrations(database: Database, timeout: float) -> str | None:
    current = await database.current_revisions(timeout)
    heads = set(head_revisions())
    if current != heads:
        raise RuntimeError(
            f"database at {sorted(current) or 'no revision'}, code expects {sorted(heads)}; "
            "run `vantage migrate`"
        )
    return None


async def _check_redis(request: Request) -> str | None:
    redis = core_of(request).redis
    assert redis is not None
    await redis.ping()
    return None


async def run_checks(request: Request) -> dict[str, CheckResult]:
    """Every readiness check, concurrently, each within the configured budget."""
    core = core_of(request)
    database = core.database
    timeout = core.settings.health_timeout_seconds
    checks: dict[str, Callable[[], Awaitable[str | None]]] = {
        "database": lambda: _check_database(database, timeout),
        "migrations": lambda: _check_migrations(database, timeout),
    }
    if core.redis is not None:
        checks["redis"] = lambda: _check_redis(request)
    results = await asyncio.gather(*(_timed(check, timeout) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def _not_ready(request: Request, checks: dict[str, CheckResult]) -> JSONResponse:
    failed = sorted(name for name, result in checks.items() if result.status == "fail")
    return problem_response(
        request,
        status=503,
        code="UNAVAILABLE",
        detail=f"not ready: {', '.join(failed)}",
        headers={"Retry-After": "1", "Cache-Control": "no-store"},
        extra={"checks": {name: r.model_dump(exclude_none=True) for name, r in checks.items()}},
    )


@router.get("/health/live", response_model=LiveOut, summary="The process is up")
async def live() -> LiveOut:
    return LiveOut()


@router.get(
    "/health/ready",
    response_model=ReadyOut,
    summary="Ready for traffic: database reachable, migrations current, Redis (when configured)",
    responses={503: {"description": "Not ready", "content": {"application/problem+json": {}}}},
    response_model_exclude_none=True,
)
async def ready(request: Request, details: ShowsDetails) -> Any:
    checks = await run_checks(request)
    if not details:
        checks = _statuses_only(checks)
    if any(result.status == "fail" for result in checks.values()):
        return _not_ready(request, checks)
    return ReadyOut(checks=checks)


@router.get(
    "/health/database",
    response_model=DatabaseOut,
    summary="Database dialect, round-trip latency, migration revision and pool",
    responses={503: {"description": "Database unreachable"}},
    response_model_exclude_none=True,
)
async def database_health(request: Request, details: ShowsDetails) -> Any:
    core = core_of(request)
    database = core.database
    timeout = core.settings.health_timeout_seconds
    out = DatabaseOut(
        status="ok",
        dialect=database.dialect,
        revision=[],
        head=sorted(head_revisions()),
        pool=database.pool_stats(),
    )
    try:
        out.latency_ms = round(await database.ping(timeout) * 1000, 2)
        out.revision = sorted(await database.current_revisions(timeout))
    except Exception:  # an unreachable database is reported, not raised
        out.status = "fail"
    if not details:
        out = DatabaseOut(status=out.status)
    if out.status == "fail":
        return JSONResponse(
            out.model_dump(exclude_none=True),
            status_code=503,
            headers={"Cache-Control": "no-store"},
        )
    return out


@router.get(
    "/health",
    response_model=SummaryOut,
    summary="One-look summary of every check",
    response_model_exclude_none=True,
)
async def summary(request: Request, details: ShowsDetails) -> SummaryOut:
    checks = await run_checks(request)
    degraded = any(result.status == "fail" for result in checks.values())
    if not details:
        return SummaryOut(status="degraded" if degraded else "ok", checks=_statuses_only(checks))
    return SummaryOut(
        status="degraded" if degraded else "ok",
        version=__version__,
        uptime_seconds=round(time.monotonic() - request.app.state.started_at, 1),
        checks=checks,
    )
