"""Delivery: lead-time rows counted per duration and narrow value range, for the percentiles
over every row.

Revision ID: delivery_0006
Revises: delivery_0005
Create Date: 2026-12-06
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery_0006"
down_revision: str | None = "delivery_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MEASURES = ("lead_seconds", "coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds")
LONGEST_SECONDS = 20 * 365 * 86_400


def _bounds() -> tuple[int, ...]:
    """The ranges' bounds as the delivery pack draws them when this revision was written."""
    bounds: list[int] = []
    value = 1.0
    while value < LONGEST_SECONDS:
        bound = int(value)
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
        value *= 1.001
    return tuple(bounds)


def upgrade() -> None:
    op.create_table(
        "delivery_lead_time_buckets",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("repository_id", Key, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_lead_time_buckets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "measure",
            "bucket",
            "service",
            "repository_id",
            name=op.f("pk_delivery_lead_time_buckets"),
        ),
        sqlite_with_rowid=False,
    )
    _count_stored_rows()


def _count_stored_rows() -> None:
    """The counts of the lead-time rows already stored (their distinct values, bucketed here)."""
    bounds = _bounds()
    connection = op.get_bind()
    table = sa.table(
        "delivery_lead_time_buckets",
        *[sa.column(name) for name in ("tenant_id", "measure", "bucket", "service")],
        sa.column("repository_id"),
        sa.column("rows"),
    )
    for measure in MEASURES:
        counts: Counter[tuple[int, int, str, int]] = Counter()
        rows = connection.execute(
            sa.text(
                f"SELECT tenant_id, service, repository_id, {measure}, count(*) "  # noqa: S608
                f"FROM delivery_lead_times WHERE {measure} IS NOT NULL "
                f"GROUP BY tenant_id, service, repository_id, {measure}"
            )
        )
        for tenant_id, service, repository_id, value, number in rows:
            counts[(tenant_id, bisect_right(bounds, value), service, repository_id)] += number
        if counts:
            connection.execute(
                table.insert(),
                [
                    {
                        "tenant_id": tenant_id,
                        "measure": measure,
                        "bucket": bucket,
                        "service": service,
                        "repository_id": repository_id,
                        "rows": number,
                    }
                    for (tenant_id, bucket, service, repository_id), number in counts.items()
                ],
            )


def downgrade() -> None:
    op.drop_table("delivery_lead_time_buckets")
