"""A third-party style pack used to prove that packs plug in through the registry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from tests.support import testpack_cache
from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.auth.models import Tenant
from vantage.core.db import ReadSession, WriteSession
from vantage.core.errors import NotFound
from vantage.core.jobs import JobContext, Jobs, RetryableJobError
from vantage.core.packs import DemoContext, Pack, PackContext
from vantage.core.pagination import Cursors, Page, Pagination, page_of
from vantage.core.ratelimit import rate_limit
from vantage.core.repository import SortColumn, count_rows, keyset_after, order_by_keys
from vantage.core.sorting import SortKey, sort_param
from vantage.core.text import Text
from vantage.core.windows import TimeWindow, WindowOut, window_param

router = APIRouter(
    prefix="/api/v1/testpack", tags=["testpack"], dependencies=[Depends(rate_limit())]
)
events: list[str] = []
SORTABLE: dict[str, SortColumn] = {"name": Tenant.name, "slug": Tenant.slug, "id": Tenant.id}


class TenantOut(BaseModel):
    id: int
    slug: str
    name: str


class WindowEcho(BaseModel):
    window: WindowOut
    days: float


@router.get("/tenants", response_model=Page[TenantOut])
async def list_tenants(
    _caller: ReadPrincipal,
    session: ReadSession,
    page: Pagination,
    cursors: Cursors,
    sort: Annotated[list[SortKey], sort_param(["name", "slug", "id"], default="name")],
) -> Page[TenantOut]:
    keys = [*sort, SortKey("id", False)] if all(k.field != "id" for k in sort) else sort
    scope = "testpack.tenants:" + ",".join(map(str, keys))
    query = select(Tenant).order_by(*order_by_keys(SORTABLE, keys))
    total = None
    if page.cursor:
        values = cursors.decode(scope, page.cursor)
        columns = [SORTABLE[k.field] for k in keys]
        query = query.where(keyset_after(columns, [k.descending for k in keys], values))
    else:
        total = await count_rows(session, query)
        query = query.offset(page.offset)
    rows = list((await session.scalars(query.limit(page.limit + 1))).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = (
        cursors.encode(scope, [getattr(rows[-1], k.field) for k in keys]) if more and rows else None
    )
    items = [TenantOut(id=t.id, slug=t.slug, name=t.name) for t in rows]
    return page_of(items, page, total=total, next_cursor=next_cursor)


@router.get("/tenants/{tenant_id}", response_model=TenantOut)
async def get_tenant(tenant_id: int, caller: ReadPrincipal, session: ReadSession) -> TenantOut:
    # A caller sees only its own tenant: any other id answers exactly like a missing one.
    tenant = await session.get(Tenant, tenant_id) if tenant_id == caller.tenant_id else None
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} does not exist")
    return TenantOut(id=tenant.id, slug=tenant.slug, name=tenant.name)


@router.post("/tenants", response_model=TenantOut, status_code=201)
async def create_tenant(
    slug: Annotated[str, Query(min_length=1, max_length=64)],
    _caller: IngestPrincipal,
    session: WriteSession,
    fail_after_write: bool = False,
) -> TenantOut:
    tenant = Tenant(slug=slug, name=slug.title())
    session.add(tenant)
    await session.flush()
    if fail_after_write:
        raise RuntimeError("secret internal detail: boom")
    return TenantOut(id=tenant.id, slug=tenant.slug, name=tenant.name)


class EnqueuedOut(BaseModel):
    job_id: str


@router.post("/count", response_model=EnqueuedOut, status_code=202)
async def enqueue_count(
    caller: IngestPrincipal,
    session: WriteSession,
    jobs: Jobs,
    n: Annotated[int, Query(ge=0, le=100_000)] = 10,
    step: Annotated[float, Query(ge=0, le=5)] = 0.05,
    fail_after_write: bool = False,
) -> EnqueuedOut:
    job = await jobs.enqueue(session, caller.tenant_id, "testpack.count", {"n": n, "step": step})
    if fail_after_write:
        raise RuntimeError("failed after enqueueing: the request rolls back")
    return EnqueuedOut(job_id=job.id)


async def count_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Counts to ``n``, one step every ``step`` seconds, reporting progress."""
    n, step = int(params["n"]), float(params.get("step", 0.05))
    await ctx.progress(0, n, message="starting")
    for i in range(1, n + 1):
        await asyncio.sleep(step)
        ctx.log(f"step {i}")
        await ctx.progress(i, n, message=f"counted {i} of {n}")
    return {"counted": n, "attempt": ctx.attempt}


async def fail_job(ctx: JobContext, params: dict[str, Any]) -> None:
    """Logs a line, then fails."""
    ctx.log("about to fail")
    raise ValueError(params.get("reason", "the count went wrong"))


async def flaky_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fails with a retryable error until attempt ``succeed_on``."""
    if ctx.attempt < int(params["succeed_on"]):
        raise RetryableJobError(f"attempt {ctx.attempt} hit a transient error")
    return {"attempt": ctx.attempt}


@router.get("/window", response_model=WindowEcho)
async def echo_window(
    _caller: ReadPrincipal, window: Annotated[TimeWindow, window_param(default_days=7)]
) -> WindowEcho:
    return WindowEcho(window=window.out(), days=window.days)


class BodySize(BaseModel):
    bytes: int


class Payload(BaseModel):
    text: Text


@router.post("/body-size", response_model=BodySize)
async def count_body(request: Request, _caller: IngestPrincipal) -> BodySize:
    """Reads the body as a stream, the way an upload endpoint would."""
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
    return BodySize(bytes=total)


@router.post("/payload", response_model=BodySize)
async def echo_payload(payload: Payload, _caller: IngestPrincipal) -> BodySize:
    return BodySize(bytes=len(payload.text))


class Slept(BaseModel):
    seconds: float


@router.get("/slow", response_model=Slept)
async def slow(_caller: ReadPrincipal, seconds: Annotated[float, Query(ge=0, le=10)] = 1) -> Slept:
    """A request that takes a while, to show in-flight work finishing during shutdown."""
    await asyncio.sleep(seconds)
    return Slept(seconds=seconds)


@asynccontextmanager
async def lifespan(context: PackContext) -> AsyncIterator[None]:
    events.append("start")
    yield
    events.append("stop")


async def demo(context: DemoContext) -> str:
    async with context.database.transaction() as session:
        session.add(Tenant(slug="demo-testpack", name="Demo from testpack"))
    context.progress(1, 1)
    return "1 tenant"


router.include_router(testpack_cache.router)

cli = typer.Typer()


@cli.command()
def hello(name: str) -> None:
    """Greets, to prove pack commands are mounted."""
    typer.echo(f"hello {name} from testpack")


PACK = Pack(
    name="testpack",
    title="Test pack",
    version="9.9.9",
    description="Proves third-party packs plug in",
    router=router,
    lifespan=lifespan,
    demo=demo,
    cli=cli,
    jobs={"testpack.count": count_job, "testpack.fail": fail_job, "testpack.flaky": flaky_job},
)
