"""Delivery: counts per UTC day of lead-time rows and merged pull requests, for the DORA reads.

Revision ID: delivery_0004
Revises: delivery_0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery_0004"
down_revision: str | None = "delivery_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The UTC day of a stored timestamp: SQLite keeps naive-UTC text whose first ten characters
# are the day.
DAY = {
    "sqlite": "substr({column}, 1, 10)",
    "postgresql": "date(timezone('UTC', {column}))",
}
# The counts of the rows already stored.
LEAD_TIME_BACKFILL = """
INSERT INTO delivery_lead_time_days
    (tenant_id, day, service, repository_id, lead_times, pickups, reviews)
SELECT tenant_id, {day}, service, repository_id,
       count(*), count(pickup_seconds), count(review_seconds)
FROM delivery_lead_times
GROUP BY tenant_id, {day}, service, repository_id
"""
MERGED_BACKFILL = """
INSERT INTO delivery_merged_days (tenant_id, day, repository_id, merged, linked)
SELECT tenant_id, {day}, repository_id, count(*), count(deployment_id)
FROM delivery_pull_requests
WHERE merged_at IS NOT NULL
GROUP BY tenant_id, {day}, repository_id
"""


def _counters(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _table(name: str, keys: list[sa.Column[object]], counters: list[sa.Column[int]]) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *keys,
        *counters,
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{name}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", *[key.name for key in keys], name=op.f(f"pk_{name}")
        ),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _table(
        "delivery_lead_time_days",
        [
            sa.Column("service", sa.String(length=200), nullable=False),
            sa.Column("repository_id", Key, nullable=False),
        ],
        _counters("lead_times", "pickups", "reviews"),
    )
    _table(
        "delivery_merged_days",
        [sa.Column("repository_id", Key, nullable=False)],
        _counters("merged", "linked"),
    )
    day = DAY[op.get_bind().dialect.name]
    op.execute(LEAD_TIME_BACKFILL.format(day=day.format(column="deployed_at")))
    op.execute(MERGED_BACKFILL.format(day=day.format(column="merged_at")))


def downgrade() -> None:
    op.drop_table("delivery_merged_days")
    op.drop_table("delivery_lead_time_days")
