"""How a delivery read begins: the window it answers for, then the core's conditional read
(ETag, 304, cached body)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.auth.principal import Scope
from vantage.core.conditional import ConditionalReads, FreshRead, RememberAs
from vantage.core.windows import TimeWindow, WindowQuery, window_query
from vantage.packs.delivery.runtime import DeliveryRuntimeDep
from vantage.packs.delivery.service.ingest import PACK_NAME

READ_RATE_LIMIT_GROUP = "delivery.read"
# A delivery answer depends on nothing but the tenant, the URL, the watermark and the window
# (which moves at UTC midnight, when the early answers drop their validators), so the next
# revalidation of the URL may be answered before routing.
REMEMBER = RememberAs(scope=Scope.READ, rate_limit_group=READ_RATE_LIMIT_GROUP)


async def _window(
    runtime: DeliveryRuntimeDep, query: Annotated[WindowQuery, Depends(window_query)]
) -> TimeWindow:
    return query.resolve(runtime.settings.dora_days)


Window = Annotated[TimeWindow, Depends(_window)]


@dataclass(frozen=True)
class DeliveryRead:
    """A read the client does not hold yet: the tenant and window it answers for."""

    fresh: FreshRead
    tenant_id: int
    window: TimeWindow

    async def json(self, compute: Callable[[], Awaitable[BaseModel]]) -> Response:
        """The answer from the response cache, computed on a miss."""
        return await self.fresh.json(compute)


async def _begin_read(
    reads: ConditionalReads, principal: ReadPrincipal, window: Window
) -> DeliveryRead:
    # The resolved window is part of the ETag: ``?days=7`` means another week tomorrow, with
    # the same data.
    fresh = await reads.begin(
        principal.tenant_id, PACK_NAME, varies_on={"window": window.span}, remember=REMEMBER
    )
    return DeliveryRead(fresh, principal.tenant_id, window)


# 304 (raised) when the client holds the current answer; otherwise the read.
Read = Annotated[DeliveryRead, Depends(_begin_read)]
