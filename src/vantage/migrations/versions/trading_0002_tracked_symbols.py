"""Trading: the symbols each tenant tracks.

Revision ID: trading_0002
Revises: trading_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "trading_0002"
down_revision: str | None = "delivery_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trading_tracked_symbols",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_tracked_symbols_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "symbol", name=op.f("pk_trading_tracked_symbols")),
    )


def downgrade() -> None:
    op.drop_table("trading_tracked_symbols")
