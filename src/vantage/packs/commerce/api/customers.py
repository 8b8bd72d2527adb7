"""``GET /customers`` (keyset pages by value) and ``GET /customers/{id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.pagination import Cursors, Pagination
from vantage.core.sorting import SortKey, sort_param
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.reads import begin_read
from vantage.packs.commerce.api.sorting import single_sort_key
from vantage.packs.commerce.api.windows import optional_day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import CustomerDetail, CustomerPage
from vantage.packs.commerce.service import customers

router = APIRouter()


@router.get("/customers", response_model=CustomerPage, summary="Customers by value, keyset pages")
async def list_customers(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    page: Pagination,
    cursors: Cursors,
    sort: Annotated[list[SortKey], sort_param(customers.SORTABLE, default="-ltv", max_keys=1)],
    window: Annotated[TimeWindow | None, optional_day_window()],
) -> Response:
    key = single_sort_key(sort)
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    return await read.json(
        lambda: customers.list_customers(
            session, scope, sort=key, page=page, cursors=cursors, window=window
        ),
    )


@router.get("/customers/{customer_id}", response_model=CustomerDetail, summary="One customer")
async def customer_detail(
    reads: ConditionalReads,
    customer_id: Annotated[str, Path(min_length=1, max_length=128)],
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
) -> Response:
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, None)
    return await read.json(lambda: customers.customer_detail(session, scope, customer_id))
