"""Delivery: sources and webhook deliveries, sync cursors, repositories, pull requests,
reviews, commits, deployments and their statuses, incidents, lead times, portfolio ownership.

Revision ID: delivery_0001
Revises: trading_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "delivery_0001"
down_revision: str | None = "aidev_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_ownership",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("project", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_ownership_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "name", name=op.f("pk_delivery_ownership")),
    )
    op.create_table(
        "delivery_repositories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=True),
        sa.Column("default_branch", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_repositories_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_repositories")),
        sa.UniqueConstraint(
            "tenant_id", "full_name", name=op.f("uq_delivery_repositories_tenant_id_full_name")
        ),
    )
    op.create_table(
        "delivery_sources",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("repositories", sa.JSON(), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("secret_env", sa.String(length=100), nullable=True),
        sa.Column("api_url", sa.String(length=200), nullable=False),
        sa.Column("token_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("token_env", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_sources_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_sources")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_delivery_sources_tenant_id_name")),
    )
    op.create_table(
        "delivery_commits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.Column("parents", sa.JSON(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("author_login", sa.String(length=100), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("committer_login", sa.String(length=100), nullable=True),
        sa.Column("committer_email", sa.String(length=320), nullable=True),
        sa.Column("committer_name", sa.String(length=200), nullable=True),
        sa.Column("authored_at", UTCDateTime(), nullable=False),
        sa.Column("committed_at", UTCDateTime(), nullable=False),
        sa.Column("additions", sa.Integer(), nullable=True),
        sa.Column("deletions", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_commits_repository_id_delivery_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_commits_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_commits")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "sha",
            name=op.f("uq_delivery_commits_tenant_id_repository_id_sha"),
        ),
    )
    op.create_table(
        "delivery_deployments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column(
            "repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=100), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("commit_sha", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("deployed_at", UTCDateTime(), nullable=True),
        sa.Column("incident_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_deployments_repository_id_delivery_repositories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_deployments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_deployments")),
        sa.UniqueConstraint(
            "tenant_id", "external_id", name=op.f("uq_delivery_deployments_tenant_id_external_id")
        ),
    )
    with op.batch_alter_table("delivery_deployments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_deployments_deployed_at", ["tenant_id", "deployed_at"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_deployments_service", ["tenant_id", "service", "deployed_at"], unique=False
        )

    op.create_table(
        "delivery_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("pull_number", sa.Integer(), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_reviews_repository_id_delivery_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_reviews_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_reviews")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "github_id",
            name=op.f("uq_delivery_reviews_tenant_id_repository_id_github_id"),
        ),
    )
    op.create_table(
        "delivery_sync_cursors",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("listing", sa.String(length=300), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["delivery_sources.id"],
            name=op.f("fk_delivery_sync_cursors_source_id_delivery_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_sync_cursors_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "source_id", "listing", name=op.f("pk_delivery_sync_cursors")
        ),
    )
    op.create_table(
        "delivery_webhook_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_id", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=True),
        sa.Column("repository", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["delivery_sources.id"],
            name=op.f("fk_delivery_webhook_deliveries_source_id_delivery_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_webhook_deliveries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_webhook_deliveries")),
        sa.UniqueConstraint(
            "tenant_id",
            "delivery_id",
            name=op.f("uq_delivery_webhook_deliveries_tenant_id_delivery_id"),
        ),
    )
    with op.batch_alter_table("delivery_webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_webhook_deliveries_status",
            ["tenant_id", "status", "repository"],
            unique=False,
        )

    op.create_table(
        "delivery_deployment_statuses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployments.id"],
            name=op.f("fk_delivery_deployment_statuses_deployment_id_delivery_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_deployment_statuses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_deployment_statuses")),
        sa.UniqueConstraint(
            "tenant_id",
            "deployment_id",
            "state",
            "at",
            name=op.f("uq_delivery_deployment_statuses_tenant_id_deployment_id_state_at"),
        ),
    )
    op.create_table(
        "delivery_incidents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("restored_at", UTCDateTime(), nullable=True),
        sa.Column("linked_deployment", sa.String(length=200), nullable=True),
        sa.Column("root_cause_sha", sa.String(length=40), nullable=True),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("attribution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployments.id"],
            name=op.f("fk_delivery_incidents_deployment_id_delivery_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_incidents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_incidents")),
        sa.UniqueConstraint(
            "tenant_id", "external_id", name=op.f("uq_delivery_incidents_tenant_id_external_id")
        ),
    )
    with op.batch_alter_table("delivery_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_incidents_service", ["tenant_id", "service", "created_at"], unique=False
        )

    op.create_table(
        "delivery_pull_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("head_ref", sa.String(length=255), nullable=True),
        sa.Column("base_ref", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("first_commit_at", UTCDateTime(), nullable=True),
        sa.Column("first_review_at", UTCDateTime(), nullable=True),
        sa.Column("merge_commit_sha", sa.String(length=40), nullable=True),
        sa.Column("merge_method", sa.String(length=16), nullable=True),
        sa.Column("additions", sa.Integer(), nullable=False),
        sa.Column("deletions", sa.Integer(), nullable=False),
        sa.Column("commit_count", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployments.id"],
            name=op.f("fk_delivery_pull_requests_deployment_id_delivery_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_pull_requests_repository_id_delivery_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_pull_requests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_pull_requests")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "number",
            name=op.f("uq_delivery_pull_requests_tenant_id_repository_id_number"),
        ),
    )
    with op.batch_alter_table("delivery_pull_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_pull_requests_merge_sha",
            ["tenant_id", "repository_id", "merge_commit_sha"],
            unique=False,
        )
        batch_op.create_index(
            "ix_delivery_pull_requests_merged_at", ["tenant_id", "merged_at"], unique=False
        )

    op.create_table(
        "delivery_lead_times",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "pull_request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "deployment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "repository_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("deployed_at", UTCDateTime(), nullable=False),
        sa.Column("lead_seconds", sa.Float(), nullable=False),
        sa.Column("coding_seconds", sa.Float(), nullable=False),
        sa.Column("pickup_seconds", sa.Float(), nullable=True),
        sa.Column("review_seconds", sa.Float(), nullable=True),
        sa.Column("deploy_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["delivery_deployments.id"],
            name=op.f("fk_delivery_lead_times_deployment_id_delivery_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pull_request_id"],
            ["delivery_pull_requests.id"],
            name=op.f("fk_delivery_lead_times_pull_request_id_delivery_pull_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_lead_times_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "pull_request_id", name=op.f("pk_delivery_lead_times")
        ),
    )
    with op.batch_alter_table("delivery_lead_times", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_lead_times_deployed_at", ["tenant_id", "deployed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_lead_times", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_lead_times_deployed_at")

    op.drop_table("delivery_lead_times")
    with op.batch_alter_table("delivery_pull_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_pull_requests_merged_at")
        batch_op.drop_index("ix_delivery_pull_requests_merge_sha")

    op.drop_table("delivery_pull_requests")
    with op.batch_alter_table("delivery_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_incidents_service")

    op.drop_table("delivery_incidents")
    op.drop_table("delivery_deployment_statuses")
    with op.batch_alter_table("delivery_webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_webhook_deliveries_status")

    op.drop_table("delivery_webhook_deliveries")
    op.drop_table("delivery_sync_cursors")
    op.drop_table("delivery_reviews")
    with op.batch_alter_table("delivery_deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_deployments_service")
        batch_op.drop_index("ix_delivery_deployments_deployed_at")

    op.drop_table("delivery_deployments")
    op.drop_table("delivery_commits")
    op.drop_table("delivery_sources")
    op.drop_table("delivery_repositories")
    op.drop_table("delivery_ownership")
