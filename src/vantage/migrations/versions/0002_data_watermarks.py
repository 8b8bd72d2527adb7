"""Core: per-tenant, per-pack data watermarks behind ETags.

Revision ID: 0002_data_watermarks
Revises: 0001_core_tenancy
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "0002_data_watermarks"
down_revision: str | None = "0001_core_tenancy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_watermarks",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_data_watermarks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "pack", name=op.f("pk_data_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("data_watermarks")
