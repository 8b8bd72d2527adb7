"""A local git history as delivery records: commits, pull requests found in merge and squash
subjects, and tags matching a pattern as deployments (a library's releases are its deploys)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.delivery.git.log import GitCommit, GitTag
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service import commits as graph_store
from vantage.packs.delivery.service.github_events import pr_number_in
from vantage.packs.delivery.service.graph import ancestors
from vantage.packs.delivery.service.ingest import PACK_NAME, DeploymentEvent, record_deployment
from vantage.packs.delivery.service.linking import link_pull_request


def commit_rows(
    tenant_id: int, repository_id: int, commits: Sequence[GitCommit]
) -> list[dict[str, Any]]:
    """The commits as rows of ``delivery_commits``."""
    return [
        {
            "tenant_id": tenant_id,
            "repository_id": repository_id,
            "sha": commit.sha,
            "parents": list(commit.parents),
            "branch": None,
            "subject": commit.subject[:500],
            "pr_number": pr_number_in(commit.subject),
            "author_login": None,
            "author_email": commit.author_email[:320],
            "author_name": commit.author_name[:200],
            "committer_login": None,
            "committer_email": commit.committer_email[:320],
            "committer_name": commit.committer_name[:200],
            "authored_at": commit.authored_at,
            "committed_at": commit.committed_at,
            "additions": commit.additions,
            "deletions": commit.deletions,
        }
        for commit in commits
    ]


def pull_requests_in(commits: Sequence[GitCommit]) -> list[dict[str, Any]]:
    """Pull requests named by merge (``Merge pull request #N``) and squash (``... (#N)``)
    subjects. A merge's own commits are those its second parent brings; git does not know
    when a pull request was opened, so its first commit stands in."""
    graph = {commit.sha: list(commit.parents) for commit in commits}
    by_sha = {commit.sha: commit for commit in commits}
    found: dict[int, dict[str, Any]] = {}
    for commit in commits:
        number = pr_number_in(commit.subject)
        if number is None or number in found:
            continue
        own = [commit]
        if len(commit.parents) > 1:
            brought = ancestors(graph, commit.parents[1]) - ancestors(graph, commit.parents[0])
            own = [by_sha[sha] for sha in brought if sha in by_sha] or own
        first = min(c.authored_at for c in own)
        found[number] = {
            "number": number,
            "title": commit.subject[:500],
            "author": commit.author_email[:100],
            "state": "merged",
            "opened_at": first,
            "first_commit_at": first,
            "merged_at": commit.committed_at,
            "closed_at": commit.committed_at,
            "merge_commit_sha": commit.sha,
            "merge_method": "merge" if len(commit.parents) > 1 else "squash",
            "additions": sum(c.additions for c in own),
            "deletions": sum(c.deletions for c in own),
            "commit_count": len(own),
            "labels": [],
        }
    return list(found.values())


def deploy_tags(tags: Sequence[GitTag], pattern: str | None) -> list[GitTag]:
    """The tags that are deployments: those matching ``pattern`` (none without one)."""
    if not pattern:
        return []
    return [tag for tag in tags if fnmatch.fnmatchcase(tag.name, pattern)]


async def store_commits(
    session: AsyncSession, tenant_id: int, repository_id: int, commits: Sequence[GitCommit]
) -> None:
    """Insert the commits not yet known."""
    await graph_store.store_commits(
        session, tenant_id, repository_id, commit_rows(tenant_id, repository_id, commits)
    )
    await bump_watermark(session, tenant_id, PACK_NAME)


async def store_pull_requests(
    session: AsyncSession, tenant_id: int, repository_id: int, pulls: Sequence[dict[str, Any]]
) -> None:
    """Insert or refresh the pull requests, and link those a known deployment shipped."""
    for values in pulls:
        pr = await records.upsert_pull_request(session, tenant_id, repository_id, values)
        await link_pull_request(session, tenant_id, pr)
    await bump_watermark(session, tenant_id, PACK_NAME)


async def store_tag_deployment(
    session: AsyncSession,
    tenant_id: int,
    repository: tuple[int, str],
    service: str,
    tag: GitTag,
    window: timedelta,
) -> bool:
    """Record one release tag as a successful production deployment; whether it was new."""
    repository_id, full_name = repository
    return await record_deployment(
        session,
        tenant_id,
        DeploymentEvent(
            external_id=f"git-tag:{full_name}:{tag.name}"[:200],
            service=service,
            environment="production",
            production=True,
            repository_id=repository_id,
            commit_sha=tag.sha,
            kind="normal",
            state="success",
            at=tag.created_at,
        ),
        window,
    )
