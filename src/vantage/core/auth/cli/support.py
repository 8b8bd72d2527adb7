"""What the account commands (``vantage users``, ``tenants``, ``api-keys``) share."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Tenant
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.errors import NotFound

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug", show_default=True)]


async def tenant_named(session: AsyncSession, slug: str) -> Tenant:
    tenant = await tenant_rows.tenant_by_slug(session, slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return tenant
