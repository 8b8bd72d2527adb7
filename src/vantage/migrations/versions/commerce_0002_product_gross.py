"""Commerce: each product's revenue before returns, the bound the window rankings prune with.

Revision ID: commerce_0002
Revises: delivery_0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "commerce_0002"
down_revision: str | None = "delivery_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per completed order and product, the order's amount for the product when positive; summed
# per product in one pass over the lines.
BACKFILL = """
UPDATE commerce_product_stats SET gross_minor = g.gross FROM (
    SELECT tenant_id, product_id, SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS gross
    FROM (
        SELECT l.tenant_id AS tenant_id, l.product_id AS product_id, SUM(l.amount_minor) AS amount
        FROM commerce_order_lines l JOIN commerce_orders o ON o.id = l.order_id
        WHERE o.status = 'completed'
        GROUP BY l.tenant_id, l.product_id, l.order_id
    ) AS per_order
    GROUP BY tenant_id, product_id
) AS g
WHERE commerce_product_stats.tenant_id = g.tenant_id
    AND commerce_product_stats.product_id = g.product_id
"""


def upgrade() -> None:
    op.add_column(
        "commerce_product_stats",
        sa.Column("gross_minor", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(BACKFILL)
    op.create_index(
        "ix_commerce_product_stats_gross",
        "commerce_product_stats",
        ["tenant_id", "gross_minor", "product_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_commerce_product_stats_gross", table_name="commerce_product_stats")
    op.drop_column("commerce_product_stats", "gross_minor")
