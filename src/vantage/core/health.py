"""Liveness, readiness and database health; each check is bounded in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vantage import __version__
from vantage.core.context import core_of
from vantage.core.db import Database
from vantage.core.errors import problem_response
from vantage.core.migrations import head_revisions

router = APIRouter(tags=["health"])

CheckStatus = Literal["ok", "fail"]


class CheckResult(BaseModel):
    status: CheckStatus
    latency_ms: float
    detail: str | None = None


class LiveOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, CheckResult]


class DatabaseOut(BaseModel):
    status: CheckStatus
    dialect: str
    latency_ms: float | None
    revision: list[str]
    head: list[str]
    pool: dict[str, dict[str, int]]


class SummaryOut(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    uptime_seconds: float
    checks: dict[str, CheckResult]


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
        extra={"checks": {name: result.model_dump() for name, result in checks.items()}},
    )


@router.get("/health/live", response_model=LiveOut, summary="The process is up")
async def live() -> LiveOut:
    return LiveOut()


@router.get(
    "/health/ready",
    response_model=ReadyOut,
    summary="Ready for traffic: database reachable, migrations current, Redis (when configured)",
    responses={503: {"description": "Not ready", "content": {"application/problem+json": {}}}},
)
async def ready(request: Request) -> Any:
    checks = await run_checks(request)
    if any(result.status == "fail" for result in checks.values()):
        return _not_ready(request, checks)
    return ReadyOut(checks=checks)


@router.get(
    "/health/database",
    response_model=DatabaseOut,
    summary="Database dialect, round-trip latency, migration revision and pool",
    responses={503: {"description": "Database unreachable"}},
)
async def database_health(request: Request) -> Any:
    core = core_of(request)
    database = core.database
    timeout = core.settings.health_timeout_seconds
    out = DatabaseOut(
        status="ok",
        dialect=database.dialect,
        latency_ms=None,
        revision=[],
        head=sorted(head_revisions()),
        pool=database.pool_stats(),
    )
    try:
        out.latency_ms = round(await database.ping(timeout) * 1000, 2)
        out.revision = sorted(await database.current_revisions(timeout))
    except Exception:  # an unreachable database is reported, not raised
        out.status = "fail"
        return JSONResponse(
            out.model_dump(), status_code=503, headers={"Cache-Control": "no-store"}
        )
    return out


@router.get("/health", response_model=SummaryOut, summary="One-look summary of every check")
async def summary(request: Request) -> SummaryOut:
    checks = await run_checks(request)
    degraded = any(result.status == "fail" for result in checks.values())
    return SummaryOut(
        status="degraded" if degraded else "ok",
        version=__version__,
        uptime_seconds=round(time.monotonic() - request.app.state.started_at, 1),
        checks=checks,
    )
