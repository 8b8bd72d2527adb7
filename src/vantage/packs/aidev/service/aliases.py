"""The developer alias table."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.aidev.repository import traces as repository
from vantage.packs.aidev.schemas import AliasBatchIn, AliasIn, AliasList
from vantage.packs.aidev.service.ingest import PACK_NAME


async def set_aliases(session: AsyncSession, tenant_id: int, batch: AliasBatchIn) -> None:
    """Map each alias to its developer (the last mapping of a repeated alias wins)."""
    # Traces carry e-mails in lower case; other aliases are matched exactly.
    mapping = {
        (item.alias.strip().lower() if "@" in item.alias else item.alias.strip()): (
            item.developer.strip()
        )
        for item in batch.aliases
    }
    await repository.upsert_aliases(session, tenant_id, mapping)
    # Aliases decide whose commits and pull requests are whose: the delivery-based KPIs change.
    await bump_watermark(session, tenant_id, PACK_NAME)


async def list_aliases(session: AsyncSession, tenant_id: int) -> AliasList:
    """Every alias of the tenant."""
    rows = await repository.list_aliases(session, tenant_id)
    return AliasList(data=[AliasIn(alias=alias, developer=dev) for alias, dev in rows])
