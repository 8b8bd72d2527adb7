"""Delivery: covering indexes for the DORA reads (counts and ranked values from index pages).

Revision ID: delivery_0003
Revises: delivery_0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "delivery_0003"
down_revision: str | None = "delivery_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, old index and its columns, new index and its columns): each new one starts with the
# columns of the old one, which it replaces.
REPLACED = [
    (
        "delivery_lead_times",
        ("ix_delivery_lead_times_deployed_at", ["tenant_id", "deployed_at"]),
        (
            "ix_delivery_lead_times_figures",
            [
                "tenant_id",
                "deployed_at",
                "service",
                "repository_id",
                "lead_seconds",
                "coding_seconds",
                "pickup_seconds",
                "review_seconds",
                "deploy_seconds",
            ],
        ),
    ),
    (
        "delivery_pull_requests",
        ("ix_delivery_pull_requests_merged_at", ["tenant_id", "merged_at"]),
        (
            "ix_delivery_pull_requests_merged",
            ["tenant_id", "merged_at", "repository_id", "deployment_id"],
        ),
    ),
    (
        "delivery_deployments",
        ("ix_delivery_deployments_deployed_at", ["tenant_id", "deployed_at"]),
        (
            "ix_delivery_deployments_shipped",
            [
                "tenant_id",
                "deployed_at",
                "production",
                "result",
                "service",
                "repository_id",
                "kind",
                "incident_count",
            ],
        ),
    ),
]


# Each lead-time duration in its own order: the percentiles of a window holding every row are
# read along these, with no sort.
DURATIONS = ["lead", "coding", "pickup", "review", "deploy"]


def upgrade() -> None:
    for table, (old, _), (new, columns) in REPLACED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(new, columns, unique=False)
            batch_op.drop_index(old)
    with op.batch_alter_table("delivery_lead_times", schema=None) as batch_op:
        for name in DURATIONS:
            batch_op.create_index(
                f"ix_delivery_lead_times_{name}",
                ["tenant_id", f"{name}_seconds", "service", "repository_id"],
                unique=False,
            )


def downgrade() -> None:
    with op.batch_alter_table("delivery_lead_times", schema=None) as batch_op:
        for name in DURATIONS:
            batch_op.drop_index(f"ix_delivery_lead_times_{name}")
    for table, (old, old_columns), (new, _) in REPLACED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(old, old_columns, unique=False)
            batch_op.drop_index(new)
