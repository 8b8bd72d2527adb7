"""Assist: the learning memory, ML predictions with their outcomes, reported metric points.

Revision ID: assist_0001
Revises: trading_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "assist_0001"
down_revision: str | None = "trading_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assist_learning_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("dialect", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("corrected_sql", sa.Text(), nullable=True),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assist_learning_entries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_learning_entries")),
    )
    with op.batch_alter_table("assist_learning_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assist_learning_entries_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assist_learning_entries_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "assist_ml_metric_points",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assist_ml_metric_points_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_ml_metric_points")),
        sa.UniqueConstraint(
            "tenant_id",
            "model",
            "metric",
            "day",
            name=op.f("uq_assist_ml_metric_points_tenant_id_model_metric_day"),
        ),
    )
    with op.batch_alter_table("assist_ml_metric_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assist_ml_metric_points_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "assist_ml_predictions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prediction_id", sa.String(length=128), nullable=False),
        sa.Column("predicted_at", UTCDateTime(), nullable=False),
        sa.Column("predicted_label", sa.String(length=128), nullable=True),
        sa.Column("predicted_value", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("actual_label", sa.String(length=128), nullable=True),
        sa.Column("actual_value", sa.Float(), nullable=True),
        sa.Column("outcome_at", UTCDateTime(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_assist_ml_predictions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_ml_predictions")),
        sa.UniqueConstraint(
            "tenant_id",
            "model",
            "prediction_id",
            name=op.f("uq_assist_ml_predictions_tenant_id_model_prediction_id"),
        ),
    )
    with op.batch_alter_table("assist_ml_predictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assist_ml_predictions_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_assist_ml_predictions_tenant_model_time",
            ["tenant_id", "model", "predicted_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assist_ml_predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_assist_ml_predictions_tenant_model_time")
        batch_op.drop_index(batch_op.f("ix_assist_ml_predictions_tenant_id"))

    op.drop_table("assist_ml_predictions")
    with op.batch_alter_table("assist_ml_metric_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assist_ml_metric_points_tenant_id"))

    op.drop_table("assist_ml_metric_points")
    with op.batch_alter_table("assist_learning_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assist_learning_entries_tenant_id"))
        batch_op.drop_index("ix_assist_learning_entries_tenant_created")

    op.drop_table("assist_learning_entries")
