"""Tables of the delivery pack: sources and webhook deliveries, repositories, pull requests,
reviews, commits, deployments with their status history, incidents, the lead-time rows kept as
deployments land with their counts per day, and the portfolio mapping of repositories and
services to teams and projects.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import NO_ROWID, Base, Key, TimestampMixin, UTCDateTime, utcnow

SHA_LENGTH = 40


def tenant_column() -> Mapped[int]:
    """``tenant_id`` of a table whose unique key starts with it."""
    return mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def tenant_key() -> Mapped[int]:
    """``tenant_id`` leading a composite primary key."""
    return mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, nullable=False
    )


class Source(TimestampMixin, Base):
    """Where delivery data comes from; a GitHub source holds the webhook secret (encrypted, or
    the name of the environment variable holding it) and the repositories it tracks."""

    __tablename__ = "delivery_sources"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    repositories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_env: Mapped[str | None] = mapped_column(String(100))
    api_url: Mapped[str] = mapped_column(String(200), nullable=False)
    token_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_env: Mapped[str | None] = mapped_column(String(100))


class SyncCursor(Base):
    """Where the last REST sync of one listing ended: its ETag and the newest change seen."""

    __tablename__ = "delivery_sync_cursors"

    tenant_id: Mapped[int] = tenant_key()
    source_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_sources.id", ondelete="CASCADE"), primary_key=True
    )
    listing: Mapped[str] = mapped_column(String(300), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One GitHub delivery as received; ``status`` tracks its processing apart from receipt."""

    __tablename__ = "delivery_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "delivery_id"),
        Index("ix_delivery_webhook_deliveries_status", "tenant_id", "status", "repository"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    source_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_sources.id", ondelete="CASCADE"), nullable=False
    )
    delivery_id: Mapped[str] = mapped_column(String(100), nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str | None] = mapped_column(String(64))
    repository: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Repository(Base):
    __tablename__ = "delivery_repositories"
    __table_args__ = (UniqueConstraint("tenant_id", "full_name"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    github_id: Mapped[int | None] = mapped_column(BigInteger)
    default_branch: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # Set when a commit arrives that stored commits name as their parent: their generations
    # may be too low until the next walk of the graph recomputes them.
    generations_stale: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )


class PullRequest(Base):
    """A pull request; ``deployment_id`` is the first deployment that shipped its merge commit."""

    __tablename__ = "delivery_pull_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "repository_id", "number"),
        Index(
            "ix_delivery_pull_requests_merge_sha", "tenant_id", "repository_id", "merge_commit_sha"
        ),
        # Covers the DORA counts of merged and shipped pull requests.
        Index(
            "ix_delivery_pull_requests_merged",
            "tenant_id",
            "merged_at",
            "repository_id",
            "deployment_id",
        ),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    repository_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    author: Mapped[str | None] = mapped_column(String(100))
    head_ref: Mapped[str | None] = mapped_column(String(255))
    base_ref: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_commit_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    merge_commit_sha: Mapped[str | None] = mapped_column(String(SHA_LENGTH))
    merge_method: Mapped[str | None] = mapped_column(String(16))
    additions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deletions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    commit_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    deployment_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("delivery_deployments.id", ondelete="SET NULL")
    )


class Review(Base):
    __tablename__ = "delivery_reviews"
    __table_args__ = (UniqueConstraint("tenant_id", "repository_id", "github_id"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    repository_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="CASCADE"), nullable=False
    )
    pull_number: Mapped[int] = mapped_column(Integer, nullable=False)
    github_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reviewer: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Commit(Base):
    """A commit; ``parents`` (shas) make the graph that deployment commit ranges walk."""

    __tablename__ = "delivery_commits"
    __table_args__ = (UniqueConstraint("tenant_id", "repository_id", "sha"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    repository_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="CASCADE"), nullable=False
    )
    sha: Mapped[str] = mapped_column(String(SHA_LENGTH), nullable=False)
    parents: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # 1 + the highest generation among its stored parents (1 when none is stored): higher than
    # every ancestor's, so a walk taking commits in decreasing generation can stop early.
    generation: Mapped[int | None] = mapped_column(Integer)
    branch: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    pr_number: Mapped[int | None] = mapped_column(Integer)
    author_login: Mapped[str | None] = mapped_column(String(100))
    author_email: Mapped[str | None] = mapped_column(String(320))
    author_name: Mapped[str | None] = mapped_column(String(200))
    committer_login: Mapped[str | None] = mapped_column(String(100))
    committer_email: Mapped[str | None] = mapped_column(String(320))
    committer_name: Mapped[str | None] = mapped_column(String(200))
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    additions: Mapped[int | None] = mapped_column(Integer)
    deletions: Mapped[int | None] = mapped_column(Integer)


class CommitGap(Base):
    """A parent that a stored commit names but that is not stored itself (yet)."""

    __tablename__ = "delivery_commit_gaps"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    repository_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="CASCADE"), primary_key=True
    )
    sha: Mapped[str] = mapped_column(String(SHA_LENGTH), primary_key=True)


class Deployment(Base):
    """A deployment of a service; ``result`` and ``deployed_at`` come from its final status."""

    __tablename__ = "delivery_deployments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_delivery_deployments_service", "tenant_id", "service", "deployed_at"),
        # Covers the DORA counts of shipped deployments.
        Index(
            "ix_delivery_deployments_shipped",
            "tenant_id",
            "deployed_at",
            "production",
            "result",
            "service",
            "repository_id",
            "kind",
            "incident_count",
        ),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    repository_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="SET NULL")
    )
    service: Mapped[str] = mapped_column(String(200), nullable=False)
    environment: Mapped[str] = mapped_column(String(100), nullable=False)
    production: Mapped[bool] = mapped_column(Boolean, nullable=False)
    commit_sha: Mapped[str | None] = mapped_column(String(SHA_LENGTH))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    result: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    incident_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class DeploymentStatus(Base):
    __tablename__ = "delivery_deployment_statuses"
    __table_args__ = (UniqueConstraint("tenant_id", "deployment_id", "state", "at"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    deployment_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_deployments.id", ondelete="CASCADE"), nullable=False
    )
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Incident(Base):
    """An incident; ``deployment_id`` is the deployment it is attributed to (explicit or Δ)."""

    __tablename__ = "delivery_incidents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_delivery_incidents_service", "tenant_id", "service", "created_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    service: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    severity: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    linked_deployment: Mapped[str | None] = mapped_column(String(200))
    root_cause_sha: Mapped[str | None] = mapped_column(String(SHA_LENGTH))
    deployment_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("delivery_deployments.id", ondelete="SET NULL")
    )
    attribution: Mapped[str | None] = mapped_column(String(16))


class LeadTime(Base):
    """The lead time of one pull request, written when the deployment shipping it lands."""

    __tablename__ = "delivery_lead_times"
    # Covers the DORA reads: counts and ranked values come from index pages alone.
    __table_args__ = (
        Index(
            "ix_delivery_lead_times_figures",
            "tenant_id",
            "deployed_at",
            "service",
            "repository_id",
            "lead_seconds",
            "coding_seconds",
            "pickup_seconds",
            "review_seconds",
            "deploy_seconds",
        ),
        # Each duration in its own order: the percentiles of a window that holds every row.
        Index(
            "ix_delivery_lead_times_lead", "tenant_id", "lead_seconds", "service", "repository_id"
        ),
        Index(
            "ix_delivery_lead_times_coding",
            "tenant_id",
            "coding_seconds",
            "service",
            "repository_id",
        ),
        Index(
            "ix_delivery_lead_times_pickup",
            "tenant_id",
            "pickup_seconds",
            "service",
            "repository_id",
        ),
        Index(
            "ix_delivery_lead_times_review",
            "tenant_id",
            "review_seconds",
            "service",
            "repository_id",
        ),
        Index(
            "ix_delivery_lead_times_deploy",
            "tenant_id",
            "deploy_seconds",
            "service",
            "repository_id",
        ),
    )

    tenant_id: Mapped[int] = tenant_key()
    pull_request_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_pull_requests.id", ondelete="CASCADE"), primary_key=True
    )
    deployment_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_deployments.id", ondelete="CASCADE"), nullable=False
    )
    repository_id: Mapped[int] = mapped_column(Key, nullable=False)
    service: Mapped[str] = mapped_column(String(200), nullable=False)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    lead_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    coding_seconds: Mapped[float] = mapped_column(Float, nullable=False)
    pickup_seconds: Mapped[float | None] = mapped_column(Float)
    review_seconds: Mapped[float | None] = mapped_column(Float)
    deploy_seconds: Mapped[float] = mapped_column(Float, nullable=False)


class LeadTimeDay(Base):
    """Per UTC day of deploy time, service and repository: how many lead-time rows there are,
    and how many have a pickup and a review time (the other durations always have a value).

    Written with the lead-time rows, in the same transaction, so the DORA counts of whole days
    read one row per day and service instead of every pull request."""

    __tablename__ = "delivery_lead_time_days"
    # Clustered by its key on SQLite: a window's days are one contiguous range.
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    repository_id: Mapped[int] = mapped_column(Key, primary_key=True)
    lead_times: Mapped[int] = mapped_column(Integer, nullable=False)
    pickups: Mapped[int] = mapped_column(Integer, nullable=False)
    reviews: Mapped[int] = mapped_column(Integer, nullable=False)


class ShippedDay(Base):
    """Per UTC day of deploy time, service and repository (0: none): how many successful
    production deployments there are, how many with an attributed incident, how many of a
    rework kind; and the same per day for the whole tenant, under service ``""`` and repository
    0, so a read of the whole tenant does not grow with its services.

    Written with the deployments, in the same transaction, so the DORA counts of whole days read
    one row per day instead of every deployment."""

    __tablename__ = "delivery_shipped_days"
    # Clustered by its key on SQLite: a window's days are one contiguous range.
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    repository_id: Mapped[int] = mapped_column(Key, primary_key=True)
    deployments: Mapped[int] = mapped_column(Integer, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, nullable=False)
    reworked: Mapped[int] = mapped_column(Integer, nullable=False)


class LeadTimeBucket(Base):
    """How many lead-time rows have a value of one duration (``measure``, a column of
    ``delivery_lead_times``) in one narrow range (``bucket``), per service and repository.

    Written with the lead-time rows, in the same transaction: a percentile over every row finds
    the range holding its rank from these counts, then reads only within that range."""

    __tablename__ = "delivery_lead_time_buckets"
    # Clustered by its key on SQLite: one duration's ranges are read in order, contiguously.
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    repository_id: Mapped[int] = mapped_column(Key, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)


class MergedDay(Base):
    """Per UTC day of merge time and repository: how many pull requests were merged, and how
    many of them a deployment shipped. Written with the pull requests, in the same
    transaction, for the DORA coverage counts of whole days."""

    __tablename__ = "delivery_merged_days"
    # Clustered by its key on SQLite: a window's days are one contiguous range.
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    repository_id: Mapped[int] = mapped_column(Key, primary_key=True)
    merged: Mapped[int] = mapped_column(Integer, nullable=False)
    linked: Mapped[int] = mapped_column(Integer, nullable=False)


class Ownership(Base):
    """Portfolio mapping: a repository or a service belongs to a team and a project."""

    __tablename__ = "delivery_ownership"

    tenant_id: Mapped[int] = tenant_key()
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    team: Mapped[str | None] = mapped_column(String(100))
    project: Mapped[str | None] = mapped_column(String(100))


class WorkItem(Base):
    """A work item (a GitHub issue); ``finished`` when closed as done, ``story_points`` from a
    points label (``points: 3``, ``sp:5``, ``story points/8``)."""

    __tablename__ = "delivery_work_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "repository_id", "number"),
        Index("ix_delivery_work_items_updated", "tenant_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    repository_id: Mapped[int] = mapped_column(
        Key, ForeignKey("delivery_repositories.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    finished: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    story_points: Mapped[float | None] = mapped_column(Float)
    labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


def row_values(row: Base) -> dict[str, Any]:
    """A mapped row's column values (for upserts built from an ORM object)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
