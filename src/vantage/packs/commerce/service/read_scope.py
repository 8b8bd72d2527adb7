"""What every commerce answer carries besides its numbers: the data's time and the currency."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import Watermark
from vantage.packs.commerce.repository import accounts
from vantage.packs.commerce.service.analytics import ReadScope


class TenantCurrencies:
    """Each tenant's currency, read once per process: the first batch fixes it for good."""

    def __init__(self, default: str) -> None:
        self._default = default
        self._known: dict[int, str] = {}

    async def of(self, session: AsyncSession, tenant_id: int) -> str:
        """The tenant's currency; the default while no batch has fixed one."""
        known = self._known.get(tenant_id)
        if known is not None:
            return known
        stored = await accounts.tenant_currency(session, tenant_id)
        if stored is None:
            # Not remembered: the tenant's first batch may fix another currency at any moment.
            return self._default
        self._known[tenant_id] = stored
        return stored

    async def scope(self, session: AsyncSession, tenant_id: int, watermark: Watermark) -> ReadScope:
        """The scope of a read at ``watermark``."""
        currency = await self.of(session, tenant_id)
        return ReadScope(tenant_id, watermark.updated_at, currency)
