"""Every link rebuilt from the raw records, as if the events had arrived in deploy order.

Events keep the links up to date one at a time (service/linking.py); this rebuilds them from
scratch, to check the incremental path against and to repair a tenant after a bulk change.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.delivery.repository import deployments as deployment_rows
from vantage.packs.delivery.service.ingest import PACK_NAME
from vantage.packs.delivery.service.linking import attribute_incident, link_deployment


async def relink_tenant(session: AsyncSession, tenant_id: int, window: timedelta) -> int:
    """Clear and rebuild the tenant's links; how many pull requests were linked."""
    await deployment_rows.clear_links(session, tenant_id)
    session.expire_all()  # the rows loaded before still hold the links just cleared
    linked = 0
    for deployment in await deployment_rows.all_successes(session, tenant_id):
        linked += await link_deployment(session, tenant_id, deployment, window)
    for incident in await deployment_rows.all_incidents(session, tenant_id):
        await attribute_incident(session, tenant_id, incident, window)
    await bump_watermark(session, tenant_id, PACK_NAME)
    return linked
