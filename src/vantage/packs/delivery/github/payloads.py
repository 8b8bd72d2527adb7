"""The fields of GitHub webhook payloads the pack reads, validated with pydantic.

Only what the pack uses is declared; everything else GitHub sends is ignored. A payload that
lacks a declared field, or whose value the pack could not store, is refused with the field's
path before anything is stored: names, refs and states with control characters (PostgreSQL
cannot store NUL), datetimes outside the accepted years, integers and strings wider than their
columns. Free text GitHub's users wrote (titles, bodies, commit messages) is kept without its
control characters instead: one pasted terminal log must not cost the events of its issue.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from vantage.core.instants import Instant
from vantage.core.text import LINE_MESSAGE, Line, RelayedText, line_problem
from vantage.packs.delivery.models import SHA_LENGTH

MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
MAX_BRANCH = 255
BRANCH_PREFIX = "refs/heads/"

Number = Annotated[int, Field(ge=1, le=MAX_INT32)]
"""A pull request's or issue's number: kept in INTEGER columns, 32 bits on PostgreSQL."""

LineCount = Annotated[int, Field(ge=0, le=MAX_INT32)]
"""Lines added or deleted, commits on a branch: INTEGER columns too."""

GitHubId = Annotated[int, Field(ge=0, le=MAX_INT64)]
"""GitHub's own ids (positive; the REST sync writes 0 for a repository it does not know)."""


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Payload):
    login: Line = Field(max_length=100)


class Label(_Payload):
    # GitHub allows 50 characters; a ``service:`` label's rest names a service (200 at most).
    name: Line = Field(max_length=100)


class RepositoryRef(_Payload):
    id: GitHubId
    full_name: Line = Field(min_length=3, max_length=200, pattern=r"^[^/\s]+/[^/\s]+$")
    default_branch: Line | None = Field(default=None, max_length=MAX_BRANCH)


class BranchRef(_Payload):
    ref: Line = Field(max_length=MAX_BRANCH)
    sha: Line


class PullRequestBody(_Payload):
    number: Number
    title: RelayedText = ""
    user: User | None = None
    state: Line = Field(max_length=16)
    created_at: Instant
    merged_at: Instant | None = None
    closed_at: Instant | None = None
    merge_commit_sha: Line | None = Field(default=None, max_length=SHA_LENGTH)
    additions: LineCount = 0
    deletions: LineCount = 0
    commits: LineCount = 0
    labels: list[Label] = Field(default_factory=list)
    head: BranchRef
    base: BranchRef


class PullRequestEvent(_Payload):
    action: Line = Field(max_length=64)
    repository: RepositoryRef
    pull_request: PullRequestBody


class ReviewBody(_Payload):
    id: GitHubId
    user: User | None = None
    state: Line = Field(max_length=32)
    submitted_at: Instant | None = None


class PullRequestNumber(_Payload):
    number: Number


class PullRequestReviewEvent(_Payload):
    action: Line = Field(max_length=64)
    repository: RepositoryRef
    review: ReviewBody
    pull_request: PullRequestNumber


class GitPerson(_Payload):
    name: Line | None = Field(default=None, max_length=200)
    email: Line | None = Field(default=None, max_length=320)
    username: Line | None = Field(default=None, max_length=100)


class PushCommit(_Payload):
    id: Line = Field(min_length=7, max_length=SHA_LENGTH)
    message: RelayedText = ""
    timestamp: Instant
    author: GitPerson
    committer: GitPerson


class PushEvent(_Payload):
    ref: Line = Field(max_length=len(BRANCH_PREFIX) + MAX_BRANCH)
    # The first commit's parent: stored like a commit id.
    before: Line = Field(max_length=SHA_LENGTH)
    after: Line
    repository: RepositoryRef
    commits: list[PushCommit] = Field(default_factory=list)


class DeploymentBody(_Payload):
    id: GitHubId
    sha: Line
    ref: Line = ""
    task: Line = "deploy"
    environment: Line = Field(max_length=100)
    description: RelayedText | None = None
    payload: dict[str, Any] | str | None = None
    created_at: Instant

    @field_validator("payload")
    @classmethod
    def _service_is_one_line(
        cls, payload: dict[str, Any] | str | None
    ) -> dict[str, Any] | str | None:
        # The free-form payload is read for ``service`` alone, which names the stored service.
        service = payload.get("service") if isinstance(payload, dict) else None
        if isinstance(service, str) and line_problem(service):
            raise PydanticCustomError("control_character", f"service {LINE_MESSAGE}")
        return payload


class DeploymentEvent(_Payload):
    action: Line = Field(default="created", max_length=64)
    repository: RepositoryRef
    deployment: DeploymentBody


class DeploymentStatusBody(_Payload):
    state: Line
    created_at: Instant


class DeploymentStatusEvent(_Payload):
    repository: RepositoryRef
    deployment: DeploymentBody
    deployment_status: DeploymentStatusBody


class WorkflowRunBody(_Payload):
    id: GitHubId
    name: Line | None = None
    head_sha: Line
    head_branch: Line | None = None
    status: Line | None = None
    conclusion: Line | None = None
    created_at: Instant
    updated_at: Instant


class WorkflowRunEvent(_Payload):
    action: Line = Field(max_length=64)
    repository: RepositoryRef
    workflow_run: WorkflowRunBody


class IssueBody(_Payload):
    number: Number
    title: RelayedText = ""
    body: RelayedText | None = None
    user: User | None = None
    state: Line | None = None
    state_reason: Line | None = None
    labels: list[Label] = Field(default_factory=list)
    created_at: Instant
    closed_at: Instant | None = None


class IssuesEvent(_Payload):
    action: Line = Field(max_length=64)
    repository: RepositoryRef
    issue: IssueBody


class ReleaseBody(_Payload):
    id: GitHubId
    tag_name: Line
    target_commitish: Line = ""
    draft: bool = False
    prerelease: bool = False
    created_at: Instant
    published_at: Instant | None = None


class ReleaseEvent(_Payload):
    action: Line = Field(max_length=64)
    repository: RepositoryRef
    release: ReleaseBody


EVENT_MODELS: dict[str, type[_Payload]] = {
    "pull_request": PullRequestEvent,
    "pull_request_review": PullRequestReviewEvent,
    "push": PushEvent,
    "deployment": DeploymentEvent,
    "deployment_status": DeploymentStatusEvent,
    "workflow_run": WorkflowRunEvent,
    "issues": IssuesEvent,
    "release": ReleaseEvent,
}

GitHubEvent = (
    PullRequestEvent
    | PullRequestReviewEvent
    | PushEvent
    | DeploymentEvent
    | DeploymentStatusEvent
    | WorkflowRunEvent
    | IssuesEvent
    | ReleaseEvent
)
