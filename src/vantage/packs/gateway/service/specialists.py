"""Specialists: admin CRUD, sync from the config file, and a short-lived lookup cache.

The chat path reads specialists through ``SpecialistDirectory``: entries live for
``VANTAGE_GATEWAY_SPECIALIST_CACHE_SECONDS`` (changes made through another process show up
within that time; this process's own changes at once), and a cached entry is served past its
lifetime when the database cannot be reached, so an outage does not stop chat traffic.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.repository import tenant_by_slug
from vantage.core.db import Database, is_database_unavailable
from vantage.core.errors import Conflict, NotFound, ValidationFailed
from vantage.packs.gateway.domain.config_file import GatewayConfig, SpecialistConfig
from vantage.packs.gateway.models import Specialist
from vantage.packs.gateway.providers.registry import ProviderRegistry
from vantage.packs.gateway.repository import specialists as repo
from vantage.packs.gateway.schemas import SpecialistCreate, SpecialistRead, SpecialistUpdate

logger = structlog.get_logger("vantage.gateway.specialists")


@dataclass(frozen=True)
class SpecialistView:
    """An immutable snapshot of a specialist, safe to share between requests."""

    id: int
    slug: str
    name: str
    system_prompt: str
    provider: str
    model: str
    temperature: float | None
    max_tokens: int | None
    top_p: float | None
    fallbacks: tuple[str, ...]
    allowed_roles: tuple[str, ...]
    active: bool

    @classmethod
    def of(cls, row: Specialist) -> SpecialistView:
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            system_prompt=row.system_prompt,
            provider=row.provider,
            model=row.model,
            temperature=row.temperature,
            max_tokens=row.max_tokens,
            top_p=row.top_p,
            fallbacks=tuple(row.fallbacks or ()),
            allowed_roles=tuple(row.allowed_roles or ()),
            active=row.active,
        )


class SpecialistDirectory:
    """Cached lookups of specialists by (tenant, slug)."""

    def __init__(self, database: Database, ttl: float) -> None:
        self._database = database
        self._ttl = ttl
        self._entries: dict[tuple[int, str], tuple[float, SpecialistView | None]] = {}

    async def get(self, tenant_id: int, slug: str) -> SpecialistView | None:
        key = (tenant_id, slug)
        cached = self._entries.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with self._database.reader() as session:
                row = await repo.specialist_by_slug(session, tenant_id, slug)
        except Exception as error:
            if cached is not None and is_database_unavailable(error):
                logger.warning("serving a cached specialist during a database outage", slug=slug)
                return cached[1]
            raise
        view = SpecialistView.of(row) if row is not None else None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, view)
        return view

    def forget(self, tenant_id: int, slug: str) -> None:
        self._entries.pop((tenant_id, slug), None)


def specialist_read(row: Specialist) -> SpecialistRead:
    """The response shape of a stored specialist."""
    return SpecialistRead(
        id=row.id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        system_prompt=row.system_prompt,
        provider=row.provider,
        model=row.model,
        temperature=row.temperature,
        max_tokens=row.max_tokens,
        top_p=row.top_p,
        fallbacks=list(row.fallbacks or []),
        allowed_roles=list(row.allowed_roles or []),
        source="config" if row.source == "config" else "api",
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_providers(registry: ProviderRegistry, provider: str, fallbacks: Sequence[str]) -> None:
    names = [provider, *(route.split("/", 1)[0] for route in fallbacks)]
    unknown = sorted({name for name in names if registry.get(name) is None})
    if unknown:
        raise ValidationFailed.field(
            ("body", "provider"),
            f"unknown provider(s) {', '.join(unknown)}; configured: "
            f"{', '.join(sorted(registry.providers)) or 'none'}",
        )


async def list_specialists(
    session: AsyncSession, tenant_id: int, *, limit: int, offset: int, include_inactive: bool
) -> tuple[Sequence[Specialist], int]:
    """A page of the tenant's specialists."""
    return await repo.specialists_of_tenant(
        session, tenant_id, limit=limit, offset=offset, include_inactive=include_inactive
    )


async def active_specialist_slugs(database: Database, tenant_id: int) -> list[str]:
    """The slugs of the tenant's active specialists (the first 500), for model listings."""
    async with database.reader() as session:
        rows, _ = await list_specialists(
            session, tenant_id, limit=500, offset=0, include_inactive=False
        )
    return [row.slug for row in rows]


async def get_specialist(session: AsyncSession, tenant_id: int, specialist_id: int) -> Specialist:
    """The tenant's specialist; 404 for unknown ids and other tenants' alike."""
    row = await repo.specialist_by_id(session, tenant_id, specialist_id)
    if row is None:
        raise NotFound(f"specialist {specialist_id} does not exist")
    return row


async def create_specialist(
    session: AsyncSession, registry: ProviderRegistry, tenant_id: int, data: SpecialistCreate
) -> Specialist:
    """A new API-managed specialist; 409 when the slug is taken."""
    _check_providers(registry, data.provider, data.fallbacks)
    if await repo.specialist_by_slug(session, tenant_id, data.slug) is not None:
        raise Conflict(f"a specialist with slug {data.slug!r} already exists")
    return await repo.add_specialist(
        session, Specialist(tenant_id=tenant_id, source="api", **data.model_dump())
    )


def _managed_by_file(row: Specialist) -> Conflict:
    return Conflict(
        f"specialist {row.slug!r} is declared in the gateway config file; change it there"
    )


async def update_specialist(
    session: AsyncSession,
    registry: ProviderRegistry,
    tenant_id: int,
    specialist_id: int,
    changes: SpecialistUpdate,
) -> Specialist:
    """Apply the given changes to an API-managed specialist."""
    row = await get_specialist(session, tenant_id, specialist_id)
    if row.source == "config":
        raise _managed_by_file(row)
    values: dict[str, Any] = changes.model_dump(exclude_unset=True)
    for required in ("name", "provider", "model", "active"):
        if required in values and values[required] is None:
            raise ValidationFailed.field(("body", required), "may not be null")
    _check_providers(
        registry, values.get("provider", row.provider), values.get("fallbacks") or row.fallbacks
    )
    for name, value in values.items():
        setattr(
            row, name, [] if value is None and name in ("fallbacks", "allowed_roles") else value
        )
    await session.flush()
    return row


async def delete_specialist(session: AsyncSession, tenant_id: int, specialist_id: int) -> str:
    """Remove an API-managed specialist (its usage rows keep its slug); returns the slug."""
    row = await get_specialist(session, tenant_id, specialist_id)
    if row.source == "config":
        raise _managed_by_file(row)
    await repo.delete_specialist(session, row)
    return row.slug


def _config_values(spec: SpecialistConfig) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "name": spec.name,
        "description": spec.description,
        "system_prompt": spec.system_prompt,
        "provider": spec.provider,
        "model": spec.model,
        "temperature": spec.parameters.temperature,
        "max_tokens": spec.parameters.max_tokens,
        "top_p": spec.parameters.top_p,
        "fallbacks": list(spec.fallbacks),
        "allowed_roles": list(spec.allowed_roles),
    }


async def sync_config_specialists(database: Database, config: GatewayConfig) -> int:
    """Make the database match the file's specialists; returns how many the file declares.

    Safe when several processes start at once: each runs the same idempotent upserts.
    """
    by_tenant: dict[str, list[SpecialistConfig]] = {}
    for spec in config.specialists:
        by_tenant.setdefault(spec.tenant, []).append(spec)
    async with database.transaction() as session:
        kept: dict[int, list[str]] = {}
        for tenant_slug, specs in sorted(by_tenant.items()):
            tenant = await tenant_by_slug(session, tenant_slug)
            if tenant is None:
                raise ValueError(f"gateway config names unknown tenant {tenant_slug!r}")
            for spec in specs:
                await repo.upsert_config_specialist(session, tenant.id, _config_values(spec))
            kept[tenant.id] = [s.slug for s in specs]
        # Tenants the file no longer mentions lose their file-declared specialists too.
        for tenant_id in await repo.tenants_with_config_specialists(session):
            await repo.retire_config_specialists(session, tenant_id, kept.get(tenant_id, []))
    return len(config.specialists)
