"""The fields of GitHub webhook payloads the pack reads, validated with pydantic.

Only what the pack uses is declared; everything else GitHub sends is ignored. A payload that
lacks a declared field is refused with the field's path, before anything is stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Payload):
    login: str


class Label(_Payload):
    name: str


class RepositoryRef(_Payload):
    id: int
    full_name: str = Field(min_length=3, max_length=200, pattern=r"^[^/\s]+/[^/\s]+$")
    default_branch: str | None = None


class BranchRef(_Payload):
    ref: str
    sha: str


class PullRequestBody(_Payload):
    number: int
    title: str = ""
    user: User | None = None
    state: str
    created_at: AwareDatetime
    merged_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    merge_commit_sha: str | None = None
    additions: int = 0
    deletions: int = 0
    commits: int = 0
    labels: list[Label] = Field(default_factory=list)
    head: BranchRef
    base: BranchRef


class PullRequestEvent(_Payload):
    action: str
    repository: RepositoryRef
    pull_request: PullRequestBody


class ReviewBody(_Payload):
    id: int
    user: User | None = None
    state: str
    submitted_at: AwareDatetime | None = None


class PullRequestNumber(_Payload):
    number: int


class PullRequestReviewEvent(_Payload):
    action: str
    repository: RepositoryRef
    review: ReviewBody
    pull_request: PullRequestNumber


class GitPerson(_Payload):
    name: str | None = None
    email: str | None = None
    username: str | None = None


class PushCommit(_Payload):
    id: str = Field(min_length=7, max_length=40)
    message: str = ""
    timestamp: AwareDatetime
    author: GitPerson
    committer: GitPerson


class PushEvent(_Payload):
    ref: str
    before: str
    after: str
    repository: RepositoryRef
    commits: list[PushCommit] = Field(default_factory=list)


class DeploymentBody(_Payload):
    id: int
    sha: str
    ref: str = ""
    task: str = "deploy"
    environment: str
    description: str | None = None
    payload: dict[str, Any] | str | None = None
    created_at: AwareDatetime


class DeploymentEvent(_Payload):
    action: str = "created"
    repository: RepositoryRef
    deployment: DeploymentBody


class DeploymentStatusBody(_Payload):
    state: str
    created_at: AwareDatetime


class DeploymentStatusEvent(_Payload):
    repository: RepositoryRef
    deployment: DeploymentBody
    deployment_status: DeploymentStatusBody


class WorkflowRunBody(_Payload):
    id: int
    name: str | None = None
    head_sha: str
    head_branch: str | None = None
    status: str | None = None
    conclusion: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class WorkflowRunEvent(_Payload):
    action: str
    repository: RepositoryRef
    workflow_run: WorkflowRunBody


class IssueBody(_Payload):
    number: int
    title: str = ""
    body: str | None = None
    user: User | None = None
    state: str | None = None
    state_reason: str | None = None
    labels: list[Label] = Field(default_factory=list)
    created_at: AwareDatetime
    closed_at: AwareDatetime | None = None


class IssuesEvent(_Payload):
    action: str
    repository: RepositoryRef
    issue: IssueBody


class ReleaseBody(_Payload):
    id: int
    tag_name: str
    target_commitish: str = ""
    draft: bool = False
    prerelease: bool = False
    created_at: AwareDatetime
    published_at: AwareDatetime | None = None


class ReleaseEvent(_Payload):
    action: str
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
