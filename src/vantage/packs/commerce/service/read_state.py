"""What every read starts from: the tenant's data watermark and currency."""

from __future__ import annotations

from functools import partial
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import watermark_copies
from vantage.core.watermarks import Watermark
from vantage.packs.commerce.repository import accounts
from vantage.packs.commerce.service.ingest import PACK_NAME


def watermark_key(tenant_id: int) -> tuple[int, str]:
    """The key of the tenant's commerce watermark in the process's watermark copies."""
    return (tenant_id, PACK_NAME)


async def read_state(session: AsyncSession, tenant_id: int) -> tuple[Watermark, str | None]:
    """The watermark and currency, from this process's short-lived copy when it has one."""
    copies = watermark_copies(session)
    read = partial(accounts.read_state, session, tenant_id, PACK_NAME)
    if copies is None:
        return await read()
    return cast(
        tuple[Watermark, str | None], await copies.get_or_read(watermark_key(tenant_id), read)
    )
