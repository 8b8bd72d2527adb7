"""GitHub events applied to the pack's records: pull requests, reviews, pushes, deployments
and their statuses, deployment workflow runs, issues (work items, and incidents when labelled
so) and releases."""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.models import PullRequest
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service import commits as graph_store
from vantage.packs.delivery.service.ingest import (
    PACK_NAME,
    DeploymentEvent,
    IncidentEvent,
    record_deployment,
    record_incident,
    root_cause_in,
)
from vantage.packs.delivery.service.linking import link_pull_request
from vantage.packs.delivery.service.work_items import IssueRecord, forget_issue, record_issue
from vantage.packs.delivery.settings import DeliverySettings

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
NO_COMMIT = "0" * 40
PR_IN_SUBJECT = re.compile(r"(?:\(#(\d+)\)\s*$|^Merge pull request #(\d+)\b)")
KINDS = ("rollback", "revert", "hotfix")
STATE_OF_GITHUB = {
    "success": "success",
    "failure": "failure",
    "error": "error",
    "in_progress": "in_progress",
    "queued": "queued",
    "pending": "queued",
}
# Rows whose values later events must not erase (an out-of-order "opened" after "closed").
STICKY_PR_COLUMNS = ("merged_at", "merge_commit_sha")


def pr_number_in(subject: str) -> int | None:
    """The pull request a squash (``... (#123)``) or merge commit subject names."""
    found = PR_IN_SUBJECT.search(subject)
    if found is None:
        return None
    number = int(found.group(1) or found.group(2))
    # A subject is free text: a number no pull request can have names none (and fits no column).
    return number if 1 <= number <= gh.MAX_INT32 else None


def service_of(repository: gh.RepositoryRef) -> str:
    """A repository's deployments are those of the service named like the repository."""
    return repository.full_name.split("/", 1)[1]


def _kind_of(deployment: gh.DeploymentBody) -> str:
    declared = deployment.payload.get("kind") if isinstance(deployment.payload, dict) else None
    if isinstance(declared, str) and declared in (*KINDS, "normal"):
        return declared
    text = f"{deployment.task} {deployment.description or ''} {deployment.ref}".lower()
    return next((kind for kind in KINDS if kind in text), "normal")


def _service_of_deployment(event: gh.DeploymentEvent | gh.DeploymentStatusEvent) -> str:
    payload = event.deployment.payload
    declared = payload.get("service") if isinstance(payload, dict) else None
    if isinstance(declared, str) and 0 < len(declared) <= 200:
        return declared
    return service_of(event.repository)


# GitHub labels run to 50 characters; an incident keeps the first 32 of its severity label.
SEVERITY_LENGTH = 32


def severity_in(labels: set[str]) -> str | None:
    """The first label (in order) naming a severity ("sev1", "severity: high"), cut to fit."""
    found = next((label for label in sorted(labels) if label.startswith("sev")), None)
    return found[:SEVERITY_LENGTH] if found else None


class EventApplier:
    """Applies one validated GitHub event of a tracked repository, in the caller's transaction."""

    def __init__(
        self, session: AsyncSession, tenant_id: int, repository_id: int, settings: DeliverySettings
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.repository_id = repository_id
        self.settings = settings
        self.window = timedelta(hours=settings.attribution_window_hours)

    async def apply(self, event: gh.GitHubEvent) -> None:
        """Record what the event says."""
        match event:
            case gh.PullRequestEvent():
                await self._pull_request(event)
            case gh.PullRequestReviewEvent():
                await self._review(event)
            case gh.PushEvent():
                await self._push(event)
            case gh.DeploymentEvent():
                await self._deployment(event, "queued", event.deployment.created_at)
            case gh.DeploymentStatusEvent():
                await self._deployment_status(event)
            case gh.WorkflowRunEvent():
                await self._workflow_run(event)
            case gh.IssuesEvent():
                await self._issue(event)
            case gh.ReleaseEvent():
                await self._release(event)
        await bump_watermark(self.session, self.tenant_id, PACK_NAME)

    async def _pull_request(self, event: gh.PullRequestEvent) -> None:
        body = event.pull_request
        merged = body.merged_at is not None
        pr = await records.upsert_pull_request(
            self.session,
            self.tenant_id,
            self.repository_id,
            {
                "number": body.number,
                "title": body.title[:500],
                "author": body.user.login if body.user else None,
                "head_ref": body.head.ref,
                "base_ref": body.base.ref,
                "state": "merged" if merged else body.state,
                "opened_at": body.created_at,
                "merged_at": body.merged_at,
                "closed_at": body.closed_at,
                "merge_commit_sha": body.merge_commit_sha if merged else None,
                "additions": body.additions,
                "deletions": body.deletions,
                "commit_count": body.commits,
                "labels": [label.name for label in body.labels],
            },
            sticky=STICKY_PR_COLUMNS,
        )
        await self._refresh_pull_request(pr.number)

    async def _refresh_pull_request(self, number: int) -> None:
        await records.refresh_first_commit(self.session, self.tenant_id, self.repository_id, number)
        await records.refresh_first_review(self.session, self.tenant_id, self.repository_id, number)
        pr = await records.pull_request(self.session, self.tenant_id, self.repository_id, number)
        if pr is not None:
            await self._infer_merge_method(pr)
            await link_pull_request(self.session, self.tenant_id, pr)

    async def _infer_merge_method(self, pr: PullRequest) -> None:
        """GitHub does not say how a pull request was merged; its merge commit does: two
        parents or GitHub's merge subject is a merge, a ``(#N)`` subject a squash, and
        anything else a rebase (the branch's own commits replayed)."""
        if pr.merged_at is None or pr.merge_commit_sha is None or pr.merge_method is not None:
            return
        merged = await records.commit(
            self.session, self.tenant_id, self.repository_id, pr.merge_commit_sha
        )
        if merged is None:
            return
        if len(merged.parents) > 1 or merged.subject.startswith("Merge pull request #"):
            method = "merge"
        else:
            method = "squash" if pr_number_in(merged.subject) == pr.number else "rebase"
        await records.set_merge_method(self.session, self.tenant_id, pr.id, method)
        pr.merge_method = method

    async def _review(self, event: gh.PullRequestReviewEvent) -> None:
        review = event.review
        if review.submitted_at is None:
            return  # a pending review nobody else can see yet
        await records.upsert_review(
            self.session,
            {
                "tenant_id": self.tenant_id,
                "repository_id": self.repository_id,
                "pull_number": event.pull_request.number,
                "github_id": review.id,
                "reviewer": review.user.login if review.user else None,
                "state": review.state.lower(),
                "submitted_at": review.submitted_at,
            },
        )
        await self._refresh_pull_request(event.pull_request.number)

    async def _push(self, event: gh.PushEvent) -> None:
        if not event.ref.startswith("refs/heads/"):
            return
        branch = event.ref.removeprefix("refs/heads/")
        # A push lists its commits oldest first; each one's parent is the one before it.
        parent = event.before if event.before != NO_COMMIT else None
        rows: list[dict[str, Any]] = []
        for commit in event.commits:
            subject = commit.message.split("\n", 1)[0][:500]
            rows.append(
                {
                    "tenant_id": self.tenant_id,
                    "repository_id": self.repository_id,
                    "sha": commit.id,
                    "parents": [parent] if parent else [],
                    "branch": branch,
                    "subject": subject,
                    "pr_number": pr_number_in(subject),
                    "author_login": commit.author.username,
                    "author_email": commit.author.email,
                    "author_name": commit.author.name,
                    "committer_login": commit.committer.username,
                    "committer_email": commit.committer.email,
                    "committer_name": commit.committer.name,
                    "authored_at": commit.timestamp,
                    "committed_at": commit.timestamp,
                }
            )
            parent = commit.id
        await graph_store.store_commits(self.session, self.tenant_id, self.repository_id, rows)
        touched = set(
            await records.branch_prs(self.session, self.tenant_id, self.repository_id, [branch])
        )
        merged = await records.merged_prs_with_shas(
            self.session, self.tenant_id, self.repository_id, [row["sha"] for row in rows]
        )
        touched |= {pr.number for pr in merged}
        for number in sorted(touched):
            await self._refresh_pull_request(number)

    async def _deployment(
        self,
        event: gh.DeploymentEvent | gh.DeploymentStatusEvent,
        state: str,
        at: datetime,
    ) -> None:
        deployment = event.deployment
        await record_deployment(
            self.session,
            self.tenant_id,
            DeploymentEvent(
                external_id=f"github-deployment:{deployment.id}",
                service=_service_of_deployment(event),
                environment=deployment.environment,
                production=self.settings.is_production(deployment.environment),
                repository_id=self.repository_id,
                commit_sha=deployment.sha.lower()
                if FULL_SHA.match(deployment.sha.lower())
                else None,
                kind=_kind_of(deployment),
                state=state,
                at=at,
            ),
            self.window,
        )

    async def _deployment_status(self, event: gh.DeploymentStatusEvent) -> None:
        state = STATE_OF_GITHUB.get(event.deployment_status.state.lower())
        if state is not None:  # "inactive" only says a newer deployment replaced this one
            await self._deployment(event, state, event.deployment_status.created_at)

    async def _workflow_run(self, event: gh.WorkflowRunEvent) -> None:
        run = event.workflow_run
        patterns = [pattern.lower() for pattern in self.settings.deploy_workflows]
        name = (run.name or "").lower()
        if event.action != "completed" or not any(fnmatch.fnmatch(name, p) for p in patterns):
            return
        if run.conclusion not in ("success", "failure"):
            return  # cancelled or skipped runs deployed nothing
        await record_deployment(
            self.session,
            self.tenant_id,
            DeploymentEvent(
                external_id=f"github-run:{run.id}",
                service=service_of(event.repository),
                environment="production",
                production=True,
                repository_id=self.repository_id,
                commit_sha=run.head_sha.lower() if FULL_SHA.match(run.head_sha.lower()) else None,
                kind="normal",
                state=run.conclusion,
                at=run.updated_at,
            ),
            self.window,
        )

    async def _issue(self, event: gh.IssuesEvent) -> None:
        await self._work_item(event)
        issue = event.issue
        labels = {label.name.lower() for label in issue.labels}
        wanted = {label.lower() for label in self.settings.incident_labels}
        if not labels & wanted or event.action == "deleted":
            return
        service = next(
            (label.split(":", 1)[1].strip() for label in labels if label.startswith("service:")),
            service_of(event.repository),
        )
        await record_incident(
            self.session,
            self.tenant_id,
            IncidentEvent(
                external_id=f"github-issue:{event.repository.full_name}#{issue.number}",
                service=service or service_of(event.repository),
                title=issue.title[:500],
                severity=severity_in(labels),
                created_at=issue.created_at,
                restored_at=issue.closed_at,
                resolved_at=issue.closed_at,
                linked_deployment=None,
                root_cause_sha=root_cause_in(issue.body),
            ),
            self.window,
        )

    async def _work_item(self, event: gh.IssuesEvent) -> None:
        issue = event.issue
        if event.action == "deleted":
            await forget_issue(self.session, self.tenant_id, self.repository_id, issue.number)
            return
        record = IssueRecord(
            number=issue.number,
            title=issue.title,
            body=issue.body,
            author=issue.user.login if issue.user else None,
            state=issue.state or ("closed" if issue.closed_at else "open"),
            state_reason=issue.state_reason,
            labels=[label.name for label in issue.labels],
            opened_at=issue.created_at,
            closed_at=issue.closed_at,
        )
        await record_issue(self.session, self.tenant_id, self.repository_id, record)

    async def _release(self, event: gh.ReleaseEvent) -> None:
        release = event.release
        if event.action not in ("published", "released") or release.draft or release.prerelease:
            return
        target = release.target_commitish.lower()
        await record_deployment(
            self.session,
            self.tenant_id,
            DeploymentEvent(
                external_id=f"github-release:{release.id}",
                service=service_of(event.repository),
                environment="production",
                production=True,
                repository_id=self.repository_id,
                commit_sha=target if FULL_SHA.match(target) else None,
                kind="normal",
                state="success",
                at=release.published_at or release.created_at,
            ),
            self.window,
        )
