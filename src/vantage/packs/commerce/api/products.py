"""``GET /products``: products ranked by revenue or units, offset pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.conditional import ConditionalReads
from vantage.core.db import ReadSession
from vantage.core.errors import ValidationFailed
from vantage.core.pagination import Pagination
from vantage.core.sorting import SortKey, sort_param
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.reads import begin_read
from vantage.packs.commerce.api.sorting import single_sort_key
from vantage.packs.commerce.api.windows import optional_day_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.schemas import ProductPage
from vantage.packs.commerce.service import products

router = APIRouter()


@router.get("/products", response_model=ProductPage, summary="Products by revenue or units")
async def list_products(
    reads: ConditionalReads,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: CommerceRuntimeDep,
    page: Pagination,
    sort: Annotated[list[SortKey], sort_param(products.SORTABLE, default="-revenue", max_keys=1)],
    window: Annotated[TimeWindow | None, optional_day_window()],
) -> Response:
    key = single_sort_key(sort)
    if page.cursor is not None:
        raise ValidationFailed.field(("query", "cursor"), "products are paged with offset")
    read, scope = await begin_read(reads, session, runtime, principal.tenant_id, window)
    return await read.json(
        lambda: products.list_products(session, scope, sort=key, page=page, window=window),
    )
