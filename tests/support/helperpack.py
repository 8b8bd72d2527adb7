"""A pack whose routes are written with the core's endpoint helpers, for their tests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.conditional import ConditionalReads, RememberAs
from vantage.core.context import core_of
from vantage.core.db import WriteSession
from vantage.core.errors import ValidationFailed
from vantage.core.idempotency import (
    IDEMPOTENT_WRITE_RESPONSES,
    IdempotencyStore,
    IdempotentWrite,
    write_idempotently,
)
from vantage.core.openapi import request_body
from vantage.core.packs import Pack
from vantage.core.watermarks import bump_watermark

PACK_NAME = "helperpack"
PREFIX = f"/api/v1/{PACK_NAME}"
router = APIRouter(prefix=PREFIX, tags=[PACK_NAME])


class Counts(BaseModel):
    watermark: int
    computed: int


class Item(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class ItemBatch(BaseModel):
    items: list[Item]


class Stored(BaseModel):
    stored: int
    run: int


class Calls:
    """How often the routes really ran (a replay or a 304 does not run them)."""

    def __init__(self) -> None:
        self.computed = 0
        self.writes = 0
        self.holding = asyncio.Event()
        self.release = asyncio.Event()


calls = Calls()


@router.get("/counts")
async def counts(principal: ReadPrincipal, reads: ConditionalReads) -> Response:
    read = await reads.begin(principal.tenant_id, PACK_NAME, remember=RememberAs())

    async def compute() -> Counts:
        calls.computed += 1
        return Counts(watermark=read.watermark.version, computed=calls.computed)

    return await read.json(compute)


@router.get("/counts/declared", response_model=Counts)
async def declared_counts(
    principal: ReadPrincipal, reads: ConditionalReads, response: Response, day: str = "today"
) -> Counts:
    read = await reads.begin(principal.tenant_id, PACK_NAME, varies_on={"day": day})
    read.stamp(response)
    calls.computed += 1
    return Counts(watermark=read.watermark.version, computed=calls.computed)


@router.post("/ingest", status_code=204)
async def ingest(session: WriteSession, principal: IngestPrincipal) -> None:
    await bump_watermark(session, principal.tenant_id, PACK_NAME)


@router.post(
    "/items",
    response_model=Stored,
    openapi_extra=request_body(ItemBatch),
    responses=IDEMPOTENT_WRITE_RESPONSES,
)
async def store_items(request: Request, principal: IngestPrincipal, hold: bool = False) -> Response:
    core = core_of(request)
    store = IdempotencyStore(core.database, ttl=timedelta(hours=1), lock=timedelta(seconds=30))

    async def work(write: IdempotentWrite) -> Response:
        batch = ItemBatch.model_validate_json(await request.body())
        if not batch.items:
            raise ValidationFailed.field(("body", "items"), "send at least one item")
        if hold:
            calls.holding.set()
            await calls.release.wait()
        calls.writes += 1
        async with core.database.transaction() as session:
            await bump_watermark(session, principal.tenant_id, PACK_NAME)
            return await write.answer(session, Stored(stored=len(batch.items), run=calls.writes))

    return await write_idempotently(request, store, principal.tenant_id, "helperpack.items", work)


HELPER_PACK = Pack(name=PACK_NAME, title="Helper pack", version="0.0.1", router=router)
