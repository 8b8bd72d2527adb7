"""Delivery: work items (GitHub issues) with their story points.

Revision ID: delivery_0002
Revises: trading_0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "delivery_0002"
down_revision: str | None = "trading_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery_work_items",
        sa.Column("id", KEY, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("repository_id", KEY, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("story_points", sa.Float(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_work_items_repository_id_delivery_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_work_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_work_items")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "number",
            name=op.f("uq_delivery_work_items_tenant_id_repository_id_number"),
        ),
    )
    with op.batch_alter_table("delivery_work_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_work_items_updated", ["tenant_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("delivery_work_items")
