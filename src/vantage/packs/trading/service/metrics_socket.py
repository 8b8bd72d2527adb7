"""What ``WS /ws/metrics`` needs beyond the hub: the trusted tenant named in the settings."""

from __future__ import annotations

from vantage.core.auth.service.tenants import list_tenants
from vantage.core.db import Database


async def trusted_tenant_id(database: Database, slug: str) -> int | None:
    """The id of the tenant called ``slug``, or None when there is none."""
    async with database.reader() as session:
        for tenant, _users in await list_tenants(session):
            if tenant.slug == slug:
                return tenant.id
    return None
