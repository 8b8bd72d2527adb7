"""Tenants: each holds its own users, API keys and data. Created by an operator."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Tenant
from vantage.core.auth.repository import tenants as tenant_rows
from vantage.core.errors import Conflict, ValidationFailed

# Slugs appear in sign-in requests and URLs: lower-case letters, digits and inner hyphens.
SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_NAME_LENGTH = 200


async def create_tenant(session: AsyncSession, slug: str, name: str | None) -> Tenant:
    """A new, empty tenant; its name defaults to the slug."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValidationFailed.field(
            ("slug",),
            "a slug is 1 to 64 lower-case letters, digits and hyphens, starting and ending "
            "with a letter or digit",
        )
    display = (name if name is not None else slug).strip()
    if not display or len(display) > MAX_NAME_LENGTH:
        raise ValidationFailed.field(("name",), f"a name is 1 to {MAX_NAME_LENGTH} characters")
    taken = Conflict(f"a tenant with slug {slug!r} already exists")
    if await tenant_rows.tenant_by_slug(session, slug) is not None:
        raise taken
    try:
        return await tenant_rows.add_tenant(session, Tenant(slug=slug, name=display))
    except IntegrityError as error:  # created meanwhile by another process
        raise taken from error


async def list_tenants(session: AsyncSession) -> Sequence[tuple[Tenant, int]]:
    """Every tenant, oldest first, with its number of users."""
    return await tenant_rows.tenants_with_user_counts(session)
