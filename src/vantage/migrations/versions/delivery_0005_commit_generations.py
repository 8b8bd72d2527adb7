"""Delivery: commit generations, the parents stored commits name but that are not stored, and
the repositories whose generations are to be recomputed.

Revision ID: delivery_0005
Revises: delivery_0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery_0005"
down_revision: str | None = "delivery_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Commits stored before generations existed have none: their repository's next walk computes
# them (and records its gaps).
MARK_STALE = """
UPDATE delivery_repositories SET generations_stale = true
WHERE EXISTS (SELECT 1 FROM delivery_commits c WHERE c.repository_id = delivery_repositories.id)
"""


def upgrade() -> None:
    op.add_column("delivery_commits", sa.Column("generation", sa.Integer(), nullable=True))
    op.add_column(
        "delivery_repositories",
        sa.Column("generations_stale", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "delivery_commit_gaps",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("repository_id", Key, nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["delivery_repositories.id"],
            name=op.f("fk_delivery_commit_gaps_repository_id_delivery_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_delivery_commit_gaps_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "repository_id", "sha", name=op.f("pk_delivery_commit_gaps")
        ),
        sqlite_with_rowid=False,
    )
    op.execute(MARK_STALE)


def downgrade() -> None:
    op.drop_table("delivery_commit_gaps")
    op.drop_column("delivery_repositories", "generations_stale")
    op.drop_column("delivery_commits", "generation")
