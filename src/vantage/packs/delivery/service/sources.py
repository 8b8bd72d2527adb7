"""ETL sources: a GitHub source holds its webhook secret (sealed) and tracked repositories."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import Conflict, NotFound, ValidationFailed
from vantage.core.jobs import JobService
from vantage.packs.delivery.models import Source
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.repository import sources as source_rows
from vantage.packs.delivery.repository import webhooks as delivery_rows
from vantage.packs.delivery.schemas import SourceIn, SourceOut, SourcePatch
from vantage.packs.delivery.service.secrets import SecretBox
from vantage.packs.delivery.service.webhooks import requeue_parked, tracks

WEBHOOK_PATH = "/api/v1/webhooks/github"


def source_out(source: Source) -> SourceOut:
    """The source as the API shows it (never its secret)."""
    return SourceOut(
        id=source.id,
        name=source.name,
        kind=source.kind,
        repositories=list(source.repositories),
        secret_configured=source.secret_ciphertext is not None or bool(source.secret_env),
        secret_env=source.secret_env,
        api_url=source.api_url,
        token_configured=source.token_ciphertext is not None or bool(source.token_env),
        token_env=source.token_env,
        webhook_path=f"{WEBHOOK_PATH}?source={source.id}",
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


def _distinct(patterns: Sequence[str]) -> list[str]:
    """The patterns (checked by the schema) in their order, each once."""
    return list(dict.fromkeys(patterns))


async def _unique_name(
    session: AsyncSession, tenant_id: int, name: str, except_id: int | None = None
) -> None:
    if await source_rows.name_taken(session, tenant_id, name, except_id):
        raise Conflict(f"a source called {name!r} already exists")


async def _track(
    session: AsyncSession, tenant_id: int, patterns: Sequence[str], jobs: JobService
) -> None:
    """Register exact repositories and take back what was parked for the covered ones."""
    for pattern in patterns:
        if "*" not in pattern:
            await records.add_repository(session, tenant_id, pattern)
    parked = await delivery_rows.parked_repositories(session, tenant_id)
    covered = [name for name in parked if tracks(patterns, name)]
    for name in covered:
        await records.add_repository(session, tenant_id, name)
    await requeue_parked(session, tenant_id, covered, jobs)


async def create_source(
    session: AsyncSession, tenant_id: int, data: SourceIn, box: SecretBox, jobs: JobService
) -> SourceOut:
    """Add a source; its secret is sealed before it is stored."""
    if data.secret is None and data.secret_env is None:
        raise ValidationFailed.field(("body", "secret"), "give the secret or secret_env")
    await _unique_name(session, tenant_id, data.name)
    repositories = _distinct(data.repositories)
    source = await source_rows.add(
        session,
        Source(
            tenant_id=tenant_id,
            kind=data.kind,
            name=data.name,
            repositories=repositories,
            secret_ciphertext=box.seal(data.secret) if data.secret is not None else None,
            secret_env=None if data.secret is not None else data.secret_env,
            api_url=data.api_url.rstrip("/"),
            token_ciphertext=box.seal(data.token) if data.token is not None else None,
            token_env=None if data.token is not None else data.token_env,
        ),
    )
    await _track(session, tenant_id, repositories, jobs)
    return source_out(source)


async def get_source(session: AsyncSession, tenant_id: int, source_id: int) -> Source:
    """The tenant's source; 404 otherwise (another tenant's source is not found either)."""
    source = await source_rows.get(session, tenant_id, source_id)
    if source is None:
        raise NotFound(f"source {source_id} does not exist")
    return source


async def list_sources(session: AsyncSession, tenant_id: int) -> list[SourceOut]:
    """The tenant's sources."""
    return [source_out(source) for source in await source_rows.list_all(session, tenant_id)]


async def update_source(
    session: AsyncSession,
    tenant_id: int,
    source_id: int,
    patch: SourcePatch,
    box: SecretBox,
    jobs: JobService,
) -> SourceOut:
    """Change a source's name, repositories or secret."""
    source = await get_source(session, tenant_id, source_id)
    if patch.name is not None:
        await _unique_name(session, tenant_id, patch.name, source.id)
        source.name = patch.name
    if patch.secret is not None:
        source.secret_ciphertext, source.secret_env = box.seal(patch.secret), None
    elif patch.secret_env is not None:
        source.secret_ciphertext, source.secret_env = None, patch.secret_env
    if patch.token is not None:
        source.token_ciphertext, source.token_env = box.seal(patch.token), None
    elif patch.token_env is not None:
        source.token_ciphertext, source.token_env = None, patch.token_env
    if patch.api_url is not None:
        source.api_url = patch.api_url.rstrip("/")
    if patch.repositories is not None:
        source.repositories = _distinct(patch.repositories)
    await session.flush()
    await session.refresh(source)
    await _track(session, tenant_id, source.repositories, jobs)
    return source_out(source)


SYNC_JOB = "delivery.sync_source"


async def start_sync(
    session: AsyncSession, tenant_id: int, source_id: int, jobs: JobService
) -> str:
    """Queue a REST sync of the source's repositories; the job's id."""
    await get_source(session, tenant_id, source_id)
    job = await jobs.enqueue(session, tenant_id, SYNC_JOB, {"source": source_id})
    return job.id


async def delete_source(session: AsyncSession, tenant_id: int, source_id: int) -> None:
    """Remove a source and its stored deliveries (the records they produced stay)."""
    if not await source_rows.remove(session, tenant_id, source_id):
        raise NotFound(f"source {source_id} does not exist")
