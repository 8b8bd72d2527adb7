"""Delivery: successful production deployments counted per UTC day, and every per-day count
also kept for the whole tenant (service '' and repository 0), for the DORA reads.

Revision ID: delivery_0007
Revises: delivery_0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery_0007"
down_revision: str | None = "delivery_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The UTC day of a stored timestamp: SQLite keeps naive-UTC text whose first ten characters
# are the day.
DAY = {
    "sqlite": "substr(deployed_at, 1, 10)",
    "postgresql": "date(timezone('UTC', deployed_at))",
}
# The counts of the deployments already stored: per service and repository (0: none), and per
# day for the whole tenant (service '' and repository 0). The kinds are the rework kinds.
BACKFILL = """
INSERT INTO delivery_shipped_days
    (tenant_id, day, service, repository_id, deployments, failed, reworked)
SELECT tenant_id, {day}, {service}, {repository}, count(*),
       count(CASE WHEN incident_count > 0 THEN 1 END),
       count(CASE WHEN kind IN ('hotfix', 'rollback', 'revert') THEN 1 END)
FROM delivery_deployments
WHERE production AND result = 'success' AND deployed_at IS NOT NULL
GROUP BY tenant_id, {day}{grouping}
"""

# The whole tenant's rows of the per-day counts already stored.
LEAD_TIME_TOTALS = """
INSERT INTO delivery_lead_time_days
    (tenant_id, day, service, repository_id, lead_times, pickups, reviews)
SELECT tenant_id, day, '', 0, sum(lead_times), sum(pickups), sum(reviews)
FROM delivery_lead_time_days
GROUP BY tenant_id, day
"""
MERGED_TOTALS = """
INSERT INTO delivery_merged_days (tenant_id, day, repository_id, merged, linked)
SELECT tenant_id, day, 0, sum(merged), sum(linked)
FROM delivery_merged_days
GROUP BY tenant_id, day
"""


def upgrade() -> None:
    op.create_table(
        "delivery_shipped_days",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("repository_id", Key, nullable=False),
        sa.Column("deployments", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("reworked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_shipped_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "service", "repository_id", name=op.f("pk_delivery_shipped_days")
        ),
        sqlite_with_rowid=False,
    )
    day = DAY[op.get_bind().dialect.name]
    own = ("service", "COALESCE(repository_id, 0)", ", service, COALESCE(repository_id, 0)")
    for service, repository, grouping in (own, ("''", "0", "")):
        op.execute(
            BACKFILL.format(day=day, service=service, repository=repository, grouping=grouping)
        )
    op.execute(LEAD_TIME_TOTALS)
    op.execute(MERGED_TOTALS)


def downgrade() -> None:
    op.execute("DELETE FROM delivery_merged_days WHERE repository_id = 0")
    op.execute("DELETE FROM delivery_lead_time_days WHERE service = '' AND repository_id = 0")
    op.drop_table("delivery_shipped_days")
